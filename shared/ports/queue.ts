import type { ReleaseEvent } from '../domain/events';
import type { ServiceId } from '../domain/flagger';

/**
 * Slow work handed off the 3 s (Slack) and 10 s (Flagger) paths. Jobs of one service run in order.
 * `event` carries what the use cases recorded; the others are the Slack presenter's own work: refresh a thread's
 * status message, post or update an approval request, tell one person something, take a snapshot for them.
 */
export type Job =
  /** `service` repeats the event's: queues group (and order) jobs by it. */
  | { kind: 'event'; service: ServiceId; event: ReleaseEvent }
  | { kind: 'sync-thread'; service: ServiceId; run: number }
  | { kind: 'request-approval'; service: ServiceId; run: number; gate: string; attempt: number }
  | { kind: 'tell-user'; channel: string; user: string; text: string }
  | { kind: 'snapshot-for-user'; service: ServiceId; channel: string; user: string }
  /** `/canary doctor`: the cluster is the worker's to read (on AWS only it is placed to reach the apiserver). */
  | { kind: 'doctor-for-user'; service: ServiceId; channel: string; user: string }
  /** Advance a runbook execution (the core's work, not the presenter's): queued in its own group, see `groupOf`. */
  | { kind: 'runbook'; service: ServiceId; run: number; execution: string };

/**
 * The ordering group of a job (SQS FIFO MessageGroupId, the outbox's chain). A runbook waits for Flagger for up to
 * minutes; in its own group per service it never holds up the thread updates that tell its progress.
 */
export const groupOf = (job: Job): string =>
  job.kind === 'runbook' ? `runbook:${job.service}` : 'service' in job ? job.service : 'users';

export interface Queue {
  send(job: Job): Promise<void>;
}
