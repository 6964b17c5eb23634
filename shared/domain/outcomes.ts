import type { GateRef } from './events';
import type { GateType, HookType, ServiceId } from './flagger';
import type { Action } from './policy';
import type { Run } from './release';
import type { Snapshot } from './snapshot';

/** A run as outcomes and views name it: `production/api release #3`. */
export type RunRef = Pick<Run, 'service' | 'number'>;
export const runRef = (run: RunRef): RunRef => ({ service: run.service, number: run.number });

/** Who may approve, as configured: user IDs and user-group IDs. */
export interface Approvers {
  users: string[];
  groups: string[];
}

/**
 * What `handleHook` decided for one Flagger call. `open` is Flagger's yes (200) or no (403); the sentence Flagger
 * shows in its events is rendered from the rest at the Flagger edge (`shared/http/flagger-answer.ts`).
 */
export type HookOutcome =
  | { code: 'not-configured'; open: boolean; service: ServiceId; hook: HookType; configFile: string }
  | { code: 'no-release'; open: false; service: ServiceId }
  | { code: 'recorded'; open: true; hook: HookType; run?: RunRef }
  | { code: 'rollback'; open: true; run: RunRef; by: string; reason: string }
  | { code: 'no-rollback'; open: false; run: RunRef }
  | { code: 'paused'; open: false; service: ServiceId; by: string; reason: string }
  | { code: 'at-max-weight'; open: true; run: RunRef }
  | { code: 'automatic'; open: true; service: ServiceId; gate: GateType }
  | { code: 'slo-unavailable'; open: false; service: ServiceId; gate: GateType }
  | { code: 'slo-waiting'; open: false; run: RunRef; gate: GateType; snapshot: Snapshot }
  | { code: 'slo-passed'; open: true; run: RunRef; gate: GateType }
  | { code: 'approved'; open: true; run: RunRef; request: GateRef; approvers: string[] }
  | { code: 'rejected'; open: false; run: RunRef; request: GateRef; by: string; reason: string }
  | {
      code: 'waiting-for-approval';
      open: false;
      run: RunRef;
      request: GateRef;
      count: number;
      quorum: number;
      approvers: Approvers;
      /** Approvals that do not count: their authors deployed this release. */
      notCounted: string[];
    };

export type HookOutcomeCode = HookOutcome['code'];

/**
 * What a person's decision (approve, reject, roll back, pause, resume) came to: `accepted` took effect, `duplicate`
 * means the person's own earlier decision already holds, `refused` says why not. `caveat` is set when the answer
 * depended on a directory (user groups) that could not be asked in time.
 */
export type DecisionOutcome = (Accepted | Duplicate | Refused) & { caveat?: string };

type Accepted = { result: 'accepted' } & (
  | { code: 'approval-counted'; count: number; quorum: number }
  | { code: 'gate-approved'; request: GateRef }
  | { code: 'rejected'; rollback: boolean; rollbackHookSeen: boolean }
  | { code: 'rollback-requested'; run: RunRef; rollbackHookSeen: boolean; execution?: string }
  | { code: 'dry-run-started'; run: RunRef; execution: string; runbook: string }
  | { code: 'runbook-started'; run: RunRef; execution: string; runbook: string }
  | { code: 'runbook-confirmed'; run: RunRef; execution: string }
  | { code: 'paused' | 'resumed'; service: ServiceId }
);

type Duplicate = { result: 'duplicate' } & (
  | { code: 'already-counted'; count: number; quorum: number }
  | { code: 'already-approved'; approvers: string[] }
  | { code: 'already-rejected' }
  | { code: 'rollback-already-requested'; run: RunRef; by?: string }
  | { code: 'already-paused' | 'not-paused'; service: ServiceId }
);

type Refused = { result: 'refused' } & RefusalReason;

export type RefusalReason =
  | { code: 'not-configured'; service: ServiceId }
  | { code: 'not-approver'; action: Action; service: ServiceId; approvers: Approvers }
  | { code: 'self-approval'; action: Action; service: ServiceId }
  | { code: 'no-release'; action: Action; service: ServiceId }
  | { code: 'stale-request'; askedRun: number; run: RunRef }
  | { code: 'ended'; run: RunRef; outcome: NonNullable<Run['outcome']> | undefined }
  | { code: 'request-missing' }
  | { code: 'request-replaced' }
  | { code: 'lost-to-approval'; action: 'approve' | 'reject'; approvers: string[]; request: GateRef }
  | { code: 'lost-to-rejection'; action: 'approve' | 'reject'; by: string; reason: string }
  | { code: 'expired'; expiresAt: string; at: string }
  | { code: 'several-pending'; gates: string[] }
  | { code: 'nothing-pending'; run: RunRef; gateName?: string }
  | { code: 'not-rollable'; run: RunRef; phase: Run['phase'] }
  | { code: 'unknown-runbook'; service: ServiceId; runbook: string; known: string[] }
  | { code: 'runbook-not-waiting'; run: RunRef; execution: string; state?: string };

export type DecisionCode = DecisionOutcome['code'];

export const refusal = (reason: RefusalReason): DecisionOutcome => ({ result: 'refused', ...reason });
export const withCaveat = (outcome: DecisionOutcome, caveat: string | undefined): DecisionOutcome =>
  caveat ? { ...outcome, caveat } : outcome;

/**
 * What the bot did with one Alertmanager alert (`receiveAlert`); the Alertmanager edge answers these codes as JSON.
 * `no-release` is audited as refused: the alert was acknowledged (200, so Alertmanager does not retry) but asked for
 * nothing the bot could do.
 */
export type AlertOutcome =
  | { code: 'unmatched'; why: 'no-label' | 'not-configured'; service?: ServiceId }
  | { code: 'no-release'; service: ServiceId }
  | { code: 'resolved'; run: RunRef }
  | { code: 'rejected-rollout'; run: RunRef; request: GateRef; already: boolean }
  | { code: 'rolling-back'; run: RunRef; execution?: string }
  | { code: 'already-rolling-back'; run: RunRef; by?: string }
  | { code: 'offered'; run: RunRef; why: 'policy' | 'not-rollable' };

export type AlertOutcomeCode = AlertOutcome['code'];
