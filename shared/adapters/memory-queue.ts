import type { Job, Queue } from '../ports/queue';

/**
 * The local server's queue: jobs run in the background of the same process, in order per service
 * (like SQS FIFO message groups). A failed job is logged and retried up to three times.
 */
export class MemoryQueue implements Queue {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly run: (job: Job) => Promise<void>,
    private readonly log: (message: string) => void = (m) => console.error(m),
  ) {}

  async send(job: Job): Promise<void> {
    const group = 'service' in job ? job.service : 'users';
    const previous = this.chains.get(group) ?? Promise.resolve();
    const next = previous.then(() => this.attempt(job, 1));
    this.chains.set(group, next);
    void next.finally(() => {
      if (this.chains.get(group) === next) this.chains.delete(group);
    });
  }

  /** Resolves when every job sent so far has run (tests and graceful shutdown). */
  async drain(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  private async attempt(job: Job, count: number): Promise<void> {
    try {
      await this.run(job);
    } catch (error) {
      this.log(`job ${job.kind} failed (attempt ${count}): ${(error as Error).message}`);
      if (count < 3) await this.attempt(job, count + 1);
    }
  }
}
