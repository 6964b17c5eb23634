import type { Escalation } from '../domain/escalation';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { Run } from '../domain/release';

export interface ServiceRecord {
  service: ServiceId;
  /** Number of the newest run; runs are numbered 1, 2, 3... per service. */
  runCount: number;
  paused?: { by: string; at: string; reason: string };
}

/** Names one attempt of one gate: what a decision, a posted request or a late job refers to. */
export type GateRef = Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>;

export type GateDecision = { status: 'approved' } | { status: 'rejected'; rejection: NonNullable<Gate['rejection']> };

/**
 * Release state: which run is current, the runs, the pause, and each run's gates with their approvals. Every write
 * that decides something is conditional, so concurrent clicks, Slack retries and duplicate webhooks apply at most
 * once. Implementations: DynamoDB (production and local), in-memory (unit tests).
 */
/** What a Flagger call reads before it decides: the service, its current run, and the asked-for gates of that run. */
export interface HookState {
  service: ServiceRecord | undefined;
  run: Run | undefined;
  /** Of the gates named in the call, those that exist on `run`. */
  gates: Gate[];
}

export interface ReleaseState {
  getService(service: ServiceId): Promise<ServiceRecord | undefined>;
  /**
   * The service record, its current run and those of the run's gates named by `gateKeys`: what every Flagger call
   * reads. One store round trip once the store has seen the service's current run (the common case: each tick of an
   * analysis), two when a run started elsewhere since or on the first call.
   */
  readHookState(service: ServiceId, gateKeys: readonly string[]): Promise<HookState>;
  /** Stores `run` (if absent) and makes it current unless another run became current since `previousCount`. */
  startRun(run: Run, previousCount: number): Promise<boolean>;
  getRun(service: ServiceId, run: number): Promise<Run | undefined>;
  /** Saves unless the stored version differs from `run.version`; bumps the version. */
  saveRun(run: Run): Promise<boolean>;
  listRuns(service: ServiceId, limit: number): Promise<Run[]>;
  setPaused(service: ServiceId, paused: ServiceRecord['paused'] | undefined): Promise<void>;

  getGate(service: ServiceId, run: number, key: string): Promise<Gate | undefined>;
  listGates(service: ServiceId, run: number): Promise<Gate[]>;
  /** Stores the gate unless one exists; returns what is stored and whether this call created it. */
  openGate(gate: Gate): Promise<{ gate: Gate; created: boolean }>;
  /**
   * Adds one user's approval to a pending gate at that attempt whose request has not expired at `at`, the moment
   * of the decision; `added` is false when it was already there. Undefined when the gate is not open for it.
   */
  addApproval(gate: GateRef, user: string, at: string): Promise<{ gate: Gate; added: boolean } | undefined>;
  /**
   * Moves a pending gate at that attempt whose request has not expired at `at` (the moment of the decision) to a
   * decision; false if it was no longer pending (someone else decided), was re-armed, or expired.
   */
  decideGate(gate: GateRef, decision: GateDecision, at: string): Promise<boolean>;
  /** Replaces a pending gate with its next attempt, unless it moved on since `fromAttempt`. */
  rearmGate(gate: Gate, fromAttempt: number): Promise<boolean>;

  // Request posted, and reopening a gate whose approvals no longer count (the Flagger path's self-healing).
  /** Marks attempt `gate.attempt`'s approval request as posted; false if the gate is at another attempt (or gone). */
  markRequestPosted(gate: GateRef): Promise<boolean>;
  /**
   * Replaces an approved gate still at `fromAttempt` with `gate`, its next (pending) attempt: an approval that made
   * the quorum was withdrawn (its author was named the deployer later). False if it was decided otherwise or moved on.
   */
  reopenGate(gate: Gate, fromAttempt: number): Promise<boolean>;

  /**
   * Records that attempt `gate.attempt` of a pending request not expired at `escalation.at` was escalated; false if
   * that attempt was escalated already, or the gate was decided, re-armed or expired: of two concurrent waiting
   * calls, exactly one escalates. An escalation of an earlier attempt does not count (a new request is a new one).
   */
  markEscalated(gate: GateRef, escalation: Escalation): Promise<boolean>;
  /** Marks the escalation of attempt `gate.attempt` as posted in the thread; false if the gate has none of it. */
  markEscalationPosted(gate: GateRef): Promise<boolean>;
}
