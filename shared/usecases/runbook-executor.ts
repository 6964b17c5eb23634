import { bounded } from '../domain/bounds';
import { type RunbookExecution, STEP_DETAIL_LIMIT, type StepResult } from '../domain/runbook';
import type { Job } from '../ports/queue';
import { publish } from './deps';
import { namesOf, type RunbookDeps, type StepContext } from './runbook-step-context';
import { runStep } from './runbook-steps';

export type RunbookJob = Extract<Job, { kind: 'runbook' }>;

export interface ExecutorOptions {
  /** The most one job works on an execution, ms: below the worker Lambda's timeout (60 s). Default 50 s. */
  budgetMs?: number;
  /**
   * How long a lease holds without a checkpoint, ms (default 60 s). Each checkpoint renews it, so it need only
   * outlast one step; it must stay below the queue's redelivery delay (SQS visibility timeout, 360 s), so a job
   * redelivered after a crash finds it expired and takes over.
   */
  leaseMs?: number;
  /** How often a wait step looks again, ms. Default 250 ms. */
  pollMs?: number;
  /**
   * Who takes the lease; default a new id per job. A runtime that alone runs an execution's jobs, one after the
   * other (the local outbox, one process per data folder), passes a fixed one: its own lease left by a crash is
   * then taken over at once instead of after `leaseMs`.
   */
  owner?: string;
  sleep?: (ms: number) => Promise<void>;
}

/** What one job did with the execution: for logs and tests, nothing acts on it. */
export type Continued =
  | 'missing'
  | 'ended'
  | 'waiting'
  /** Another worker holds an unexpired lease: it advances the execution. */
  | 'busy'
  /** A checkpoint lost to another writer: whoever wrote it owns the execution now. */
  | 'lost'
  /** Out of budget: checkpointed and queued again. */
  | 'requeued'
  | 'succeeded'
  | 'failed';

const DEFAULTS = { budgetMs: 50_000, leaseMs: 60_000, pollMs: 250 };
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const newOwner = () => `worker-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export const formatMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`);

/** The execution without its lease (and the step in progress): what a worker leaves when it lets go. */
function released(execution: RunbookExecution): RunbookExecution {
  const { lease: _lease, current: _current, ...rest } = execution;
  return rest;
}

/**
 * Advances one runbook execution from the step it is at: one owner at a time (a lease taken and renewed by
 * conditional writes), a checkpoint after every step, each step's result audited and published. A crash between
 * steps resumes at `next` when the job is redelivered; a crash mid-step reruns that step (steps are idempotent).
 * A confirm step, and a wait that outlasts `budgetMs`, end the job without holding the worker.
 */
export async function continueRunbook(
  deps: RunbookDeps,
  job: RunbookJob,
  options: ExecutorOptions = {},
): Promise<Continued> {
  const { budgetMs, leaseMs, pollMs } = { ...DEFAULTS, ...options };
  const owner = options.owner ?? newOwner();
  const stored = await deps.store.getExecution(job.service, job.run, job.execution);
  if (!stored) return 'missing';
  if (stored.state === 'succeeded' || stored.state === 'failed') return 'ended';
  if (stored.state === 'waiting') return 'waiting';
  const start = deps.now().getTime();
  if (stored.lease && stored.lease.owner !== owner && Date.parse(stored.lease.until) > start) return 'busy';

  const checkpoint = async (next: RunbookExecution): Promise<RunbookExecution | undefined> =>
    (await deps.store.saveExecution(next)) ? { ...next, version: next.version + 1 } : undefined;
  const leased = (e: RunbookExecution): RunbookExecution => ({
    ...e,
    lease: { owner, until: new Date(deps.now().getTime() + leaseMs).toISOString() },
  });

  let execution = await checkpoint(leased(afterPerson(stored, start)));
  if (!execution) return 'lost';
  const policy = deps.config.services.get(job.service);
  if (!policy) return finish(deps, execution, 'failed', `${job.service} is no longer in the configuration`);
  const cluster = policy.cluster ? deps.clusters.get(policy.cluster) : undefined;
  const budgetEnd = start + budgetMs;
  const total = execution.steps.length;

  while (execution.next < total) {
    const index = execution.next;
    const step = execution.steps[index];
    if (!step) break;
    const now = deps.now().getTime();
    if (now >= Date.parse(execution.deadline)) {
      const why = `timed out before step ${index + 1}/${total} ${step.kind}: the runbook's deadline ${execution.deadline} passed`;
      return finish(deps, execution, 'failed', why);
    }
    if (now >= budgetEnd) return requeue(deps, job, released(execution), checkpoint);
    const resumed = execution.current?.index === index ? execution.current : undefined;
    const firstStart = resumed ? Date.parse(resumed.startedAt) : now;
    const attempts = (resumed?.attempts ?? 0) + 1;
    const ctx: StepContext = {
      deps,
      execution,
      policy,
      cluster,
      names: namesOf(policy),
      firstStart,
      budgetEnd,
      pollMs,
      sleep: options.sleep ?? defaultSleep,
    };
    const outcome = await runStep(ctx, step).catch(async (error: unknown) => {
      // Let go so the retried job need not wait for the lease; the step reruns, which is why steps are idempotent.
      await deps.store.saveExecution(released(execution as RunbookExecution)).catch(() => false);
      throw error;
    });
    if ('hold' in outcome && outcome.hold === 'confirm') return holdForPerson(deps, execution, index, checkpoint);
    if ('hold' in outcome) {
      const current = { index, startedAt: new Date(firstStart).toISOString(), attempts };
      return requeue(deps, job, { ...released(execution), current }, checkpoint);
    }
    const ended = deps.now();
    const result: StepResult = {
      index,
      kind: step.kind,
      status: outcome.status,
      startedAt: new Date(firstStart).toISOString(),
      endedAt: ended.toISOString(),
      durationMs: ended.getTime() - firstStart,
      detail: bounded(outcome.detail, STEP_DETAIL_LIMIT),
      attempts,
    };
    // Audited before the checkpoint: a crash in between reruns the step, and the trail then shows both runs.
    await deps.store.appendAudit({
      service: execution.service,
      at: result.endedAt,
      actor: execution.trigger.by,
      action: 'runbook-step',
      outcome: 'accepted',
      run: execution.run,
      via: 'runbook',
      detail: `step ${index + 1}/${total} ${step.kind} ${result.status} in ${formatMs(result.durationMs)}: ${result.detail} (${execution.id})`,
    });
    const { current: _current, ...rest } = execution;
    const saved = await checkpoint(leased({ ...rest, next: index + 1, results: [...execution.results, result] }));
    if (!saved) return 'lost';
    execution = saved;
    await publish(deps, {
      type: 'runbook-progressed',
      service: execution.service,
      run: execution.run,
      execution: execution.id,
      step: index,
    });
    if (result.status === 'failed') {
      return finish(deps, execution, 'failed', `step ${index + 1}/${total} ${step.kind} failed: ${result.detail}`);
    }
  }
  return finish(deps, execution, 'succeeded', tally(execution));
}

/** After a person confirmed: the time the run waited for them does not count against its deadline. */
function afterPerson(execution: RunbookExecution, now: number): RunbookExecution {
  if (!execution.waitingSince) return execution;
  const { waitingSince, ...rest } = execution;
  const waited = Math.max(0, now - Date.parse(waitingSince));
  return { ...rest, deadline: new Date(Date.parse(execution.deadline) + waited).toISOString() };
}

/** "6 steps in 1.2 s: 4 ok, 2 skipped". */
function tally(execution: RunbookExecution): string {
  const counts = new Map<string, number>();
  for (const r of execution.results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const parts = [...counts].map(([status, n]) => `${n} ${status}`);
  const took = formatMs(lastEnd(execution) - Date.parse(execution.startedAt));
  return `${execution.results.length} steps in ${took}: ${parts.join(', ')}`;
}

const lastEnd = (execution: RunbookExecution): number => {
  const last = execution.results.at(-1);
  return last ? Date.parse(last.endedAt) : Date.parse(execution.startedAt);
};

type Checkpoint = (next: RunbookExecution) => Promise<RunbookExecution | undefined>;

async function requeue(
  deps: RunbookDeps,
  job: RunbookJob,
  next: RunbookExecution,
  checkpoint: Checkpoint,
): Promise<Continued> {
  if (!(await checkpoint(next))) return 'lost';
  await deps.queue.send(job);
  return 'requeued';
}

/** Waits for `confirmRunbook`: persisted, no worker held; a click queues the job again. */
async function holdForPerson(
  deps: RunbookDeps,
  execution: RunbookExecution,
  step: number,
  checkpoint: Checkpoint,
): Promise<Continued> {
  const waiting = { ...released(execution), state: 'waiting' as const, waitingSince: deps.now().toISOString() };
  if (!(await checkpoint(waiting))) return 'lost';
  await publish(deps, {
    type: 'runbook-waiting',
    service: execution.service,
    run: execution.run,
    execution: execution.id,
    step,
  });
  return 'waiting';
}

async function finish(
  deps: RunbookDeps,
  execution: RunbookExecution,
  state: 'succeeded' | 'failed',
  summary: string,
): Promise<Continued> {
  const endedAt = deps.now().toISOString();
  await deps.store.appendAudit({
    service: execution.service,
    at: endedAt,
    actor: execution.trigger.by,
    action: 'runbook-ended',
    outcome: 'accepted',
    run: execution.run,
    via: 'runbook',
    detail: `${execution.dryRun ? 'dry run of ' : ''}runbook ${execution.runbook} (${execution.id}) ${state}: ${summary}`,
  });
  if (!(await deps.store.saveExecution({ ...released(execution), state, endedAt, summary }))) return 'lost';
  await publish(deps, {
    type: 'runbook-ended',
    service: execution.service,
    run: execution.run,
    execution: execution.id,
    state,
  });
  return state;
}
