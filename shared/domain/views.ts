import type { AuditEntry } from './audit';
import type { ServiceId } from './flagger';
import type { Gate } from './gate';
import type { RunRef } from './outcomes';

/**
 * What the queries (`list`, `status`, `history`) return: plain data, for any presenter to lay out. A run's `state`
 * is its outcome once it ended, else its Flagger phase.
 */
export interface ServiceListView {
  services: { service: ServiceId; channel: string; run?: { number: number; state: string; weight: number } }[];
}

export type StatusView =
  | { code: 'not-configured' | 'no-release'; service: ServiceId }
  | {
      code: 'current';
      run: RunRef;
      state: string;
      weight: number;
      gates: { key: string; status: Gate['status']; count: number; quorum: number }[];
      paused?: { by: string; reason: string };
      rollbackBy?: string;
    };

/** Attempts with the same actor, action, outcome and detail: one line however many times it was tried. */
export interface AttemptGroup {
  actor: string;
  action: AuditEntry['action'];
  outcome: AuditEntry['outcome'];
  detail: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

export type HistoryView =
  | { code: 'not-configured'; service: ServiceId }
  | {
      code: 'history';
      service: ServiceId;
      runs: { number: number; state: string; startedAt: string }[];
      /** Accepted decisions and Flagger's facts, newest first. */
      decisions: AuditEntry[];
      /** Refused and repeated attempts, grouped, the most recently tried first. */
      attempts: AttemptGroup[];
      /** Set when the read limit of attempts was reached: the groups cover only the newest `attemptsRead`. */
      attemptsRead?: number;
    };
