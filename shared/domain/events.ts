import type { AlertFacts } from './alert';
import type { EscalationTargets } from './escalation';
import type { GateType, ServiceId } from './flagger';
import type { Gate } from './gate';

/**
 * What happened to a release, as facts: the use cases record these and hand them to the `Events` port; each
 * presenter (the Slack thread, later a console) tells them its own way. No wording here, and no chat markup.
 * Every event names its run, so a presenter can group by release and a queue can order by service.
 */
export type ReleaseEvent =
  | RunEvent
  | GateEvent
  | RunbookEvent
  | AlertEvent
  | {
      type: 'rollback-requested';
      service: ServiceId;
      run: number;
      by: string;
      cause: 'person' | 'rejection' | 'alert';
      /** The rollback runbook's execution, when one was started. */
      execution?: string;
    }
  | { type: 'paused'; service: ServiceId; run?: number; by: string; at: string; reason: string }
  | { type: 'resumed'; service: ServiceId; run?: number; by: string; at: string };

type RunEvent =
  | { type: 'run-started'; service: ServiceId; run: number; supersedes?: number }
  /** Phase, weight, timeline or a gate moved: what the release looks like changed. */
  | { type: 'run-progressed'; service: ServiceId; run: number }
  | { type: 'run-ended'; service: ServiceId; run: number; outcome: 'succeeded' | 'failed' }
  | { type: 'run-superseded'; service: ServiceId; run: number; by: number }
  /**
   * The worker read the live Canary as the run started: the run follows its analysis (`strategy`, `shape`), and
   * `drift` lists what the config's own analysis says otherwise, `problems` the Canary's failing doctor checks (a
   * missing rollback hook...). Unread: the config's (`fallback`) applies.
   */
  | {
      type: 'analysis-read';
      service: ServiceId;
      run: number;
      strategy: string;
      shape: string;
      drift: string[];
      problems: string[];
    }
  | { type: 'analysis-unread'; service: ServiceId; run: number; error: string; fallback: string }
  /** A metric snapshot of the run was taken (an SLO-guarded gate's check). */
  | { type: 'snapshot-taken'; service: ServiceId; run: number };

/**
 * A runbook execution moved: the presenter reads the execution (`RunbookStore`) and shows it whole, so a missed or
 * reordered event loses nothing. `step` is the index that started or ended, when one did.
 */
type RunbookEvent =
  | { type: 'runbook-started'; service: ServiceId; run: number; execution: string }
  | { type: 'runbook-progressed'; service: ServiceId; run: number; execution: string; step: number }
  /** Holds at a confirm step until someone allowed to roll back confirms. */
  | { type: 'runbook-waiting'; service: ServiceId; run: number; execution: string; step: number }
  | { type: 'runbook-ended'; service: ServiceId; run: number; execution: string; state: 'succeeded' | 'failed' };

/**
 * An alert about a release in flight, and what the bot did with it: rolled back (its policy says so), offered a
 * Roll back button, rejected the pending confirm-rollout (the release was Waiting), or nothing new (already rolling
 * back). Repeats of one firing carry the same `alert.fingerprint` and `alert.startsAt`.
 */
type AlertEvent =
  | {
      type: 'alert-received';
      service: ServiceId;
      run: number;
      alert: AlertFacts;
      action: 'rolling-back' | 'offered' | 'rejected-rollout' | 'already-rolling-back';
    }
  | { type: 'alert-resolved'; service: ServiceId; run: number; alert: AlertFacts };

/** A gate of one run at one attempt: its key (`confirm-traffic-increase@30`), its type and target weight. */
export interface GateRef {
  service: ServiceId;
  run: number;
  key: string;
  gate: GateType;
  targetWeight?: number;
  attempt: number;
}

export const gateRef = (gate: Pick<Gate, keyof GateRef>): GateRef => {
  const ref: GateRef = { service: gate.service, run: gate.run, key: gate.key, gate: gate.gate, attempt: gate.attempt };
  if (gate.targetWeight !== undefined) ref.targetWeight = gate.targetWeight;
  return ref;
};

type GateEvent =
  | ({ type: 'gate-opened' } & GateRef)
  /** The attempt's request was never marked posted in time: ask for it again. */
  | ({ type: 'gate-request-lost' } & GateRef)
  | ({ type: 'approval-counted'; user: string; count: number; quorum: number } & GateRef)
  | ({ type: 'gate-approved'; approvers: string[] } & GateRef)
  | ({
      type: 'gate-rejected';
      by: string;
      reason: string;
      /** The canary is rolled back (it was Progressing or WaitingPromotion), or it just keeps waiting. */
      rollback: boolean;
      /** Whether Flagger ever called the rollback hook of this run: without it, nothing rolls back. */
      rollbackHookSeen: boolean;
    } & GateRef)
  /** The request at `attempt` expired without a decision; `next` is the attempt asked now. */
  | ({ type: 'gate-expired'; next: number } & GateRef)
  /**
   * The request at `attempt` had no decision `waitedMs` after it opened (`count` of `quorum` approvals): `to` is
   * mentioned in its thread, once. Queued again, identical, when its first job was lost.
   */
  | ({
      type: 'gate-escalated';
      to: EscalationTargets;
      waitedMs: number;
      count: number;
      quorum: number;
      expiresAt: string;
    } & GateRef)
  /** Approvals at `attempt` by people later named the deployer no longer count; `next` is asked now. */
  | ({ type: 'approval-withdrawn'; users: string[]; next: number } & GateRef);

export type ReleaseEventType = ReleaseEvent['type'];
