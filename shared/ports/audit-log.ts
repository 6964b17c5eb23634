import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';

/**
 * A part of the audit trail that can be read without reading the rest: `accepted` (decisions that took effect and
 * Flagger's facts), `attempts` (refused and duplicate ones, which anyone can make by the thousand), or `all`.
 */
export type AuditSlice = 'all' | 'accepted' | 'attempts';

/** The audit trail of each service: append-only, read newest first. */
export interface AuditLog {
  /** Records an entry; refused and duplicate attempts are kept apart from accepted ones (see `AuditSlice`). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** The newest `limit` entries of one slice of the service's trail, newest first; `all` (the default) is complete. */
  listAudit(service: ServiceId, limit: number, slice?: AuditSlice): Promise<AuditEntry[]>;
}
