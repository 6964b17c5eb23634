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
  | { kind: 'snapshot-for-user'; service: ServiceId; channel: string; user: string };

export interface Queue {
  send(job: Job): Promise<void>;
}
