import type { ServiceId } from '../domain/flagger';

/** Slow work handed off the 3 s (Slack) and 10 s (Flagger) paths. Jobs of one service run in order. */
export type Job =
  | { kind: 'sync-thread'; service: ServiceId; run: number }
  | { kind: 'request-approval'; service: ServiceId; run: number; gate: string; attempt: number }
  | { kind: 'announce'; service: ServiceId; run: number; key: string; text: string }
  | { kind: 'tell-user'; channel: string; user: string; text: string }
  | { kind: 'snapshot-for-user'; service: ServiceId; channel: string; user: string };

export interface Queue {
  send(job: Job): Promise<void>;
}
