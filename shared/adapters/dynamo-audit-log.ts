import { randomUUID } from 'node:crypto';
import { type AuditEntry, boundedEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import type { AuditLog, AuditSlice } from '../ports/audit-log';
import { type DynamoTable, fromItem, pk } from './dynamo-table';

/** Accepted entries (and, from before attempts were kept apart, entries of every outcome). */
const AUDIT = 'AUDIT#';
/** Refused and duplicate attempts: a flood of them must not push the decisions out of a bounded read. */
const AUDIT_ATTEMPT = 'AUDIT-ATTEMPT#';

const newestFirst = (a: AuditEntry, b: AuditEntry) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0);

/** The audit trail in the service's partition, sorted by time under one prefix per slice. */
export class DynamoAuditLog implements AuditLog {
  constructor(private readonly table: DynamoTable) {}

  async appendAudit(given: AuditEntry): Promise<void> {
    const entry = boundedEntry(given);
    // The random suffix keeps two entries written in the same millisecond apart.
    const prefix = entry.outcome === 'accepted' ? AUDIT : AUDIT_ATTEMPT;
    await this.table.put({ Item: { pk: pk(entry.service), sk: `${prefix}${entry.at}#${randomUUID()}`, ...entry } });
  }

  async listAudit(service: ServiceId, limit: number, slice: AuditSlice = 'all'): Promise<AuditEntry[]> {
    // Entries written before attempts were kept apart live under AUDIT# whatever their outcome: the outcome filter
    // keeps each slice exact for them too.
    const [apart, rest] = await Promise.all([
      slice === 'accepted' ? [] : this.newest(service, AUDIT_ATTEMPT, limit),
      this.newest(service, AUDIT, limit, slice === 'all' ? undefined : slice === 'accepted'),
    ]);
    return [...apart, ...rest].sort(newestFirst).slice(0, limit);
  }

  /** Newest first, up to `limit`, optionally only accepted (true) or only other (false) outcomes. */
  private async newest(service: ServiceId, prefix: string, limit: number, accepted?: boolean): Promise<AuditEntry[]> {
    const items = await this.table.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(accepted === undefined
          ? { ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix } }
          : {
              FilterExpression: accepted ? 'outcome = :accepted' : 'outcome <> :accepted',
              ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix, ':accepted': 'accepted' },
            }),
        ScanIndexForward: false,
      },
      // A filtered page may match little (old entries of the other outcomes): read wider pages then.
      { limit, ...(accepted === undefined ? {} : { pageSize: (remaining: number) => Math.max(remaining, 200) }) },
    );
    return items.map((item) => fromItem<AuditEntry>(item));
  }
}
