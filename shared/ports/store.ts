import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { Run } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';

export interface ServiceRecord {
  service: ServiceId;
  /** Number of the newest run; runs are numbered 1, 2, 3... per service. */
  runCount: number;
  paused?: { by: string; at: string; reason: string };
}

/** Where the Slack thread of a run lives, and which thread replies were already posted. Owned by the worker. */
export interface ThreadRecord {
  service: ServiceId;
  run: number;
  channel: string;
  ts: string;
  posted: string[];
  /** gate key#attempt -> ts of its approval request message */
  requests: Record<string, string>;
  /** Hash of the status message as last posted, so an unchanged status is not edited again. */
  statusHash?: string;
}

/**
 * A part of the audit trail that can be read without reading the rest: `accepted` (decisions that took effect and
 * Flagger's facts), `attempts` (refused and duplicate ones, which anyone can make by the thousand), or `all`.
 */
export type AuditSlice = 'all' | 'accepted' | 'attempts';

/**
 * Release state. Every write that decides something is conditional, so concurrent clicks, Slack retries and
 * duplicate webhooks apply at most once. Implementations: DynamoDB (production and local), in-memory (unit tests).
 */
export interface ReleaseStore {
  getService(service: ServiceId): Promise<ServiceRecord | undefined>;
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
  addApproval(
    gate: Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>,
    user: string,
    at: string,
  ): Promise<{ gate: Gate; added: boolean } | undefined>;
  /**
   * Moves a pending gate at that attempt whose request has not expired at `at` (the moment of the decision) to a
   * decision; false if it was no longer pending (someone else decided), was re-armed, or expired.
   */
  decideGate(
    gate: Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>,
    decision: { status: 'approved' } | { status: 'rejected'; rejection: NonNullable<Gate['rejection']> },
    at: string,
  ): Promise<boolean>;
  /** Replaces a pending gate with its next attempt, unless it moved on since `fromAttempt`. */
  rearmGate(gate: Gate, fromAttempt: number): Promise<boolean>;

  // Request posted, and reopening a gate whose approvals no longer count (the Flagger path's self-healing).
  /** Marks attempt `gate.attempt`'s approval request as posted; false if the gate is at another attempt (or gone). */
  markRequestPosted(gate: Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>): Promise<boolean>;
  /**
   * Replaces an approved gate still at `fromAttempt` with `gate`, its next (pending) attempt: an approval that made
   * the quorum was withdrawn (its author was named the deployer later). False if it was decided otherwise or moved on.
   */
  reopenGate(gate: Gate, fromAttempt: number): Promise<boolean>;

  /** Records an entry; refused and duplicate attempts are kept apart from accepted ones (see `AuditSlice`). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** The newest `limit` entries of one slice of the service's trail, newest first; `all` (the default) is complete. */
  listAudit(service: ServiceId, limit: number, slice?: AuditSlice): Promise<AuditEntry[]>;

  getThread(service: ServiceId, run: number): Promise<ThreadRecord | undefined>;
  saveThread(thread: ThreadRecord): Promise<void>;

  /** A run's metrics snapshot under `key`: `latest` (the status message) or a request's `<gate key>#<attempt>`. */
  getSnapshot(service: ServiceId, run: number, key: string): Promise<Snapshot | undefined>;
  saveSnapshot(run: number, key: string, snapshot: Snapshot): Promise<void>;
}
