import { bounded } from '../domain/bounds';
import { currentLog } from '../observability/logger';
import type { Outbox, OutboxEntry } from '../ports/outbox';
import { groupOf, type Job, type Queue } from '../ports/queue';

export interface OutboxQueueOptions {
  /** Runs per job and start before it is kept as a dead letter (SQS's redrive policy here is 5). */
  maxAttempts?: number;
  /** Wait before retry n (1-based). */
  backoffMs?: (retry: number) => number;
  log?: (message: string) => void;
}

/** Jobs are a few IDs and at most one text; this keeps every outbox item far below DynamoDB's 400 KB. */
export const MAX_JOB_BYTES = 32 * 1024;
const DEFAULT_ATTEMPTS = 5;
const defaultBackoff = (retry: number) => Math.min(200 * 2 ** (retry - 1), 5000);

const sizeOf = (job: Job) => Buffer.byteLength(JSON.stringify(job));

/**
 * The local server's queue, durable: `send` writes the job to the outbox before it returns, jobs run in the
 * background in order per group (like SQS FIFO message groups), and a job leaves the outbox only once it ran. A job
 * that keeps failing is retried with backoff, then kept as a dead letter, logged, and run again on the next start.
 * A job may run twice (a crash between running and removing it): jobs are idempotent, as they are on SQS.
 */
export class OutboxQueue implements Queue {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly maxAttempts: number;
  private readonly backoffMs: (retry: number) => number;
  private readonly log: (message: string) => void;
  private lastMs = 0;
  private sequence = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly run: (job: Job) => Promise<void>,
    options: OutboxQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
    // The log of the request that sent the job (the chain runs in its async context), so its correlation id.
    this.log = options.log ?? ((m) => currentLog().warn(m));
  }

  async send(job: Job): Promise<void> {
    const entry = { group: groupOf(job), id: this.nextId(), job: fitted(job) };
    await this.outbox.add(entry);
    this.schedule(entry);
  }

  /** Runs what a previous process left in the outbox, dead letters included; call before taking new jobs. */
  async resume(): Promise<{ pending: number; dead: number }> {
    const entries = await this.outbox.list();
    for (const entry of entries) {
      // New ids start after the newest one left, even if the clock went back: an equal id would overwrite it.
      this.lastMs = Math.max(this.lastMs, (Number(entry.id.split('-')[0]) || 0) + 1);
      if (entry.dead) this.log(`re-running dead-letter job ${describe(entry)} (last error: ${entry.lastError})`);
      this.schedule(entry);
    }
    return { pending: entries.filter((e) => !e.dead).length, dead: entries.filter((e) => e.dead).length };
  }

  /** Jobs whose retries ran out, kept for the next start. */
  async deadLetters(): Promise<OutboxEntry[]> {
    return (await this.outbox.list()).filter((e) => e.dead);
  }

  /** Resolves when every job sent so far has run or become a dead letter (tests and graceful shutdown). */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private schedule(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>): void {
    const previous = this.chains.get(entry.group) ?? Promise.resolve();
    const next = previous.then(() => this.attempt(entry));
    this.chains.set(entry.group, next);
    void next.finally(() => {
      if (this.chains.get(entry.group) === next) this.chains.delete(entry.group);
    });
  }

  /** Never rejects: a failure is recorded on the entry, so one bad job cannot break its group's chain. */
  private async attempt(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run(entry.job);
      } catch (error) {
        const message = (error as Error).message;
        const dead = attempt >= this.maxAttempts;
        this.log(`job ${describe(entry)} failed (attempt ${attempt} of ${this.maxAttempts}): ${message}`);
        await this.safely(entry, 'record the failure of', () => this.outbox.recordFailure(entry, message, dead));
        if (dead) {
          this.log(`job ${describe(entry)} kept as a dead letter; it runs again on the next start`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.backoffMs(attempt)));
        continue;
      }
      await this.safely(entry, 'remove the finished', () => this.outbox.remove(entry));
      return;
    }
  }

  private async safely(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>, what: string, write: () => Promise<void>) {
    try {
      await write();
    } catch (error) {
      // The job stays in the outbox and runs again on the next start, which is harmless: jobs are idempotent.
      this.log(`could not ${what} job ${describe(entry)}: ${(error as Error).message}`);
    }
  }

  /** Milliseconds, then a sequence: sorts in send order within a process, and after what earlier starts left. */
  private nextId(): string {
    const ms = Math.max(Date.now(), this.lastMs);
    if (ms !== this.lastMs) this.sequence = 0;
    this.lastMs = ms;
    this.sequence++;
    return `${String(ms).padStart(15, '0')}-${String(this.sequence).padStart(9, '0')}`;
  }
}

const describe = (entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>) => `${entry.job.kind} ${entry.group} ${entry.id}`;

/** A job too big to keep has its text cut (saying so); jobs without text are a few IDs. */
export function fitted(job: Job): Job {
  if (sizeOf(job) <= MAX_JOB_BYTES) return job;
  if (!('text' in job)) throw new Error(`a ${job.kind} job of ${sizeOf(job)} bytes is over ${MAX_JOB_BYTES}`);
  let limit = job.text.length;
  let fit: Job = job;
  while (sizeOf(fit) > MAX_JOB_BYTES && limit > 0) {
    limit = Math.floor(limit / 2);
    fit = { ...job, text: bounded(job.text, limit) };
  }
  return fit;
}
