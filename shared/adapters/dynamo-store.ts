import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AuditEntry, boundedEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { Run } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';
import type { AuditSlice, ReleaseStore, ServiceRecord, ThreadRecord } from '../ports/store';

type Item = Record<string, unknown>;
type GateRef = Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>;

const pk = (service: ServiceId) => `SVC#${service}`;
const pad = (run: number) => String(run).padStart(6, '0');
const SERVICE = 'SERVICE';
const runSk = (run: number) => `RUN#${pad(run)}`;
const gatePrefix = (run: number) => `GATE#${pad(run)}#`;
const gateSk = (run: number, key: string) => `${gatePrefix(run)}${key}`;
/** Accepted entries (and, from before attempts were kept apart, entries of every outcome). */
const AUDIT = 'AUDIT#';
/** Refused and duplicate attempts: a flood of them must not push the decisions out of a bounded read. */
const AUDIT_ATTEMPT = 'AUDIT-ATTEMPT#';
const threadSk = (run: number) => `THREAD#${pad(run)}`;
const snapshotSk = (run: number, key: string) => `SNAPSHOT#${pad(run)}#${key}`;

/** The domain object stored in an item: everything but the keys. */
function fromItem<T>(item: Item): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/**
 * A gate open for a decision at `:at`: pending, at the attempt the person saw, and not expired at that moment.
 * ISO-8601 UTC timestamps (toISOString) compare as strings in time order.
 */
const OPEN = '#status = :pending AND attempt = :attempt AND expiresAt > :at';

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

/** Release state in one DynamoDB table, one partition per service; see the port for the semantics. */
export class DynamoStore implements ReleaseStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  async getService(service: ServiceId): Promise<ServiceRecord | undefined> {
    return this.get<ServiceRecord>(service, SERVICE);
  }

  async startRun(run: Run, previousCount: number): Promise<boolean> {
    // A run item left by a crashed attempt or written by a racer is fine: only the counter decides.
    await this.conditional(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(run.service), sk: runSk(run.number), ...run },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(run.service), sk: SERVICE },
          UpdateExpression: 'SET service = :service, runCount = :count',
          ConditionExpression:
            previousCount === 0 ? 'attribute_not_exists(runCount) OR runCount = :previous' : 'runCount = :previous',
          ExpressionAttributeValues: { ':service': run.service, ':count': run.number, ':previous': previousCount },
        }),
      ),
    );
  }

  async getRun(service: ServiceId, run: number): Promise<Run | undefined> {
    return this.get<Run>(service, runSk(run));
  }

  async saveRun(run: Run): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(run.service), sk: runSk(run.number), ...run, version: run.version + 1 },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': run.version },
        }),
      ),
    );
  }

  async listRuns(service: ServiceId, limit: number): Promise<Run[]> {
    return this.query<Run>(service, 'RUN#', { newestFirst: true, limit });
  }

  async setPaused(service: ServiceId, paused: ServiceRecord['paused'] | undefined): Promise<void> {
    const base = 'SET service = :service, runCount = if_not_exists(runCount, :zero)';
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: pk(service), sk: SERVICE },
        UpdateExpression: paused ? `${base}, paused = :paused` : `${base} REMOVE paused`,
        ExpressionAttributeValues: { ':service': service, ':zero': 0, ...(paused ? { ':paused': paused } : {}) },
      }),
    );
  }

  async getGate(service: ServiceId, run: number, key: string): Promise<Gate | undefined> {
    return this.get<Gate>(service, gateSk(run, key));
  }

  async listGates(service: ServiceId, run: number): Promise<Gate[]> {
    return this.query<Gate>(service, gatePrefix(run), { newestFirst: false });
  }

  async openGate(gate: Gate): Promise<{ gate: Gate; created: boolean }> {
    const created = await this.conditional(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(gate.service), sk: gateSk(gate.run, gate.key), ...gate },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (created) return { gate: structuredClone(gate), created };
    const stored = await this.getGate(gate.service, gate.run, gate.key);
    if (!stored) throw new Error(`gate ${gate.key} of ${gate.service} #${gate.run} vanished after a conflict`);
    return { gate: stored, created };
  }

  async addApproval(gate: GateRef, user: string, at: string): Promise<{ gate: Gate; added: boolean } | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(gate.service), sk: gateSk(gate.run, gate.key) },
          UpdateExpression: 'SET approvals.#user = :at',
          ConditionExpression: `${OPEN} AND attribute_not_exists(approvals.#user)`,
          ExpressionAttributeNames: { '#user': user, '#status': 'status' },
          ExpressionAttributeValues: { ':at': at, ':pending': 'pending', ':attempt': gate.attempt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { gate: fromItem<Gate>(result.Attributes ?? {}), added: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // The condition does not say which part failed: only a still-pending gate at this attempt means "already there".
    const stored = await this.getGate(gate.service, gate.run, gate.key);
    const samePending =
      stored?.status === 'pending' &&
      stored.attempt === gate.attempt &&
      stored.expiresAt > at &&
      user in stored.approvals;
    return samePending ? { gate: stored, added: false } : undefined;
  }

  async decideGate(gate: GateRef, decision: Parameters<ReleaseStore['decideGate']>[1], at: string): Promise<boolean> {
    const rejection = decision.status === 'rejected' ? decision.rejection : undefined;
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(gate.service), sk: gateSk(gate.run, gate.key) },
          UpdateExpression: `SET #status = :status, decidedAt = :at${rejection ? ', rejection = :rejection' : ''}`,
          ConditionExpression: OPEN,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': decision.status,
            ':at': at,
            ':pending': 'pending',
            ':attempt': gate.attempt,
            ...(rejection ? { ':rejection': rejection } : {}),
          },
        }),
      ),
    );
  }

  async rearmGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    return this.replaceGate(gate, 'pending', fromAttempt);
  }

  async markRequestPosted(gate: GateRef): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(gate.service), sk: gateSk(gate.run, gate.key) },
          UpdateExpression: 'SET requestPosted = :attempt',
          ConditionExpression: 'attempt = :attempt',
          ExpressionAttributeValues: { ':attempt': gate.attempt },
        }),
      ),
    );
  }

  async reopenGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    return this.replaceGate(gate, 'approved', fromAttempt);
  }

  /** Replaces a gate with its next attempt, unless it left `status` at `fromAttempt` since. */
  private replaceGate(gate: Gate, status: Gate['status'], fromAttempt: number): Promise<boolean> {
    return this.conditional(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: pk(gate.service), sk: gateSk(gate.run, gate.key), ...gate },
          ConditionExpression: '#status = :status AND attempt = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':from': fromAttempt },
        }),
      ),
    );
  }

  async appendAudit(given: AuditEntry): Promise<void> {
    const entry = boundedEntry(given);
    // The random suffix keeps two entries written in the same millisecond apart.
    const prefix = entry.outcome === 'accepted' ? AUDIT : AUDIT_ATTEMPT;
    const sk = `${prefix}${entry.at}#${randomUUID()}`;
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: pk(entry.service), sk, ...entry } }),
    );
  }

  async listAudit(service: ServiceId, limit: number, slice: AuditSlice = 'all'): Promise<AuditEntry[]> {
    // Entries written before attempts were kept apart live under AUDIT# whatever their outcome: the outcome filter
    // keeps each slice exact for them too.
    const [apart, rest] = await Promise.all([
      slice === 'accepted' ? [] : this.queryAudit(service, AUDIT_ATTEMPT, limit),
      this.queryAudit(service, AUDIT, limit, slice === 'all' ? undefined : slice === 'accepted'),
    ]);
    const merged = [...apart, ...rest].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return merged.slice(0, limit);
  }

  /** Newest first, up to `limit`, optionally only accepted (true) or only other (false) outcomes. */
  private async queryAudit(
    service: ServiceId,
    prefix: string,
    limit: number,
    accepted?: boolean,
  ): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(accepted === undefined
            ? { ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix } }
            : {
                FilterExpression: accepted ? 'outcome = :accepted' : 'outcome <> :accepted',
                ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix, ':accepted': 'accepted' },
              }),
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          // A filtered page may match little (old entries of the other outcomes): read wider pages then.
          Limit: accepted === undefined ? limit - entries.length : Math.max(limit - entries.length, 200),
        }),
      );
      for (const item of page.Items ?? []) entries.push(fromItem<AuditEntry>(item));
      start = page.LastEvaluatedKey;
    } while (start && entries.length < limit);
    return entries.slice(0, limit);
  }

  async getThread(service: ServiceId, run: number): Promise<ThreadRecord | undefined> {
    return this.get<ThreadRecord>(service, threadSk(run));
  }

  async saveThread(thread: ThreadRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(thread.service), sk: threadSk(thread.run), ...thread },
      }),
    );
  }

  async getSnapshot(service: ServiceId, run: number, key: string): Promise<Snapshot | undefined> {
    return this.get<Snapshot>(service, snapshotSk(run, key));
  }

  async saveSnapshot(run: number, key: string, snapshot: Snapshot): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(snapshot.service), sk: snapshotSk(run, key), ...snapshot },
      }),
    );
  }

  private async get<T>(service: ServiceId, sk: string): Promise<T | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(service), sk }, ConsistentRead: true }),
    );
    return result.Item ? fromItem<T>(result.Item) : undefined;
  }

  private async query<T>(
    service: ServiceId,
    prefix: string,
    options: { newestFirst: boolean; limit?: number },
  ): Promise<T[]> {
    const items: T[] = [];
    let start: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix },
          ScanIndexForward: !options.newestFirst,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...(options.limit === undefined ? {} : { Limit: options.limit - items.length }),
        }),
      );
      for (const item of page.Items ?? []) items.push(fromItem<T>(item));
      start = page.LastEvaluatedKey;
    } while (start && (options.limit === undefined || items.length < options.limit));
    return items;
  }

  /** Sends a conditional write; false when its condition did not hold. */
  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

/** Creates the store's table unless it exists, and waits until it is usable. For local runs and tests. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, minDelay: 1, maxDelay: 5, maxWaitTime: 120 }, { TableName: tableName });
}
