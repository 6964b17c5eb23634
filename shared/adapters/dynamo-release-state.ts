import type { Escalation } from '../domain/escalation';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { Run } from '../domain/release';
import type { GateDecision, GateRef, HookState, ReleaseState, ServiceRecord } from '../ports/release-state';
import { type DynamoTable, fromItem, type Item, pad, pk } from './dynamo-table';

const SERVICE = 'SERVICE';
const runSk = (run: number) => `RUN#${pad(run)}`;
const gatePrefix = (run: number) => `GATE#${pad(run)}#`;
const gateSk = (run: number, key: string) => `${gatePrefix(run)}${key}`;
const gateKey = (gate: Pick<Gate, 'service' | 'run' | 'key'>) => ({
  pk: pk(gate.service),
  sk: gateSk(gate.run, gate.key),
});

/**
 * A gate open for a decision at `:at`: pending, at the attempt the person saw, and not expired at that moment.
 * ISO-8601 UTC timestamps (toISOString) compare as strings in time order.
 */
/** Services whose current run number is kept as a hint (a Map's first key is the one seen longest ago). */
const MAX_HINTS = 5000;

const OPEN = '#status = :pending AND attempt = :attempt AND expiresAt > :at';

/** Runs, the service record and gates, in the service's partition of the table; see the port for the semantics. */
export class DynamoReleaseState implements ReleaseState {
  /**
   * The current run number last seen per service: with it, a Flagger call reads the service record, the run and its
   * gates in one BatchGetItem. Only a hint (the record read alongside says whether it still holds); bounded.
   */
  private readonly currentRuns = new Map<ServiceId, number>();

  constructor(private readonly table: DynamoTable) {}

  async getService(service: ServiceId): Promise<ServiceRecord | undefined> {
    return this.read<ServiceRecord>(service, SERVICE);
  }

  async readHookState(service: ServiceId, gateKeys: readonly string[]): Promise<HookState> {
    const hint = this.currentRuns.get(service);
    // With a hint: the record, the run and its gates together; the record says whether the hint still held.
    const first = hint === undefined ? undefined : await this.readRun(service, hint, gateKeys);
    const record = first ? first.service : await this.getService(service);
    if (!record || record.runCount === 0) return { service: record, run: undefined, gates: [] };
    this.remember(service, record.runCount);
    if (first && record.runCount === hint) return first;
    return { ...(await this.readRun(service, record.runCount, gateKeys, record)), service: record };
  }

  async startRun(run: Run, previousCount: number): Promise<boolean> {
    // A run item left by a crashed attempt or written by a racer is fine: only the counter decides.
    await this.table.putIf({
      Item: { pk: pk(run.service), sk: runSk(run.number), ...run },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const counted = await this.table.updateIf({
      Key: { pk: pk(run.service), sk: SERVICE },
      UpdateExpression: 'SET service = :service, runCount = :count',
      ConditionExpression:
        previousCount === 0 ? 'attribute_not_exists(runCount) OR runCount = :previous' : 'runCount = :previous',
      ExpressionAttributeValues: { ':service': run.service, ':count': run.number, ':previous': previousCount },
    });
    if (counted.written) this.remember(run.service, run.number);
    return counted.written;
  }

  async getRun(service: ServiceId, run: number): Promise<Run | undefined> {
    return this.read<Run>(service, runSk(run));
  }

  async saveRun(run: Run): Promise<boolean> {
    const saved = await this.table.putIf({
      Item: { pk: pk(run.service), sk: runSk(run.number), ...run, version: run.version + 1 },
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': run.version },
    });
    return saved.written;
  }

  async listRuns(service: ServiceId, limit: number): Promise<Run[]> {
    return this.list<Run>(service, 'RUN#', { newestFirst: true, limit });
  }

  async setPaused(service: ServiceId, paused: ServiceRecord['paused'] | undefined): Promise<void> {
    const base = 'SET service = :service, runCount = if_not_exists(runCount, :zero)';
    await this.table.update({
      Key: { pk: pk(service), sk: SERVICE },
      UpdateExpression: paused ? `${base}, paused = :paused` : `${base} REMOVE paused`,
      ExpressionAttributeValues: { ':service': service, ':zero': 0, ...(paused ? { ':paused': paused } : {}) },
    });
  }

  async getGate(service: ServiceId, run: number, key: string): Promise<Gate | undefined> {
    return this.read<Gate>(service, gateSk(run, key));
  }

  async listGates(service: ServiceId, run: number): Promise<Gate[]> {
    return this.list<Gate>(service, gatePrefix(run), { newestFirst: false });
  }

  async openGate(gate: Gate): Promise<{ gate: Gate; created: boolean }> {
    const opened = await this.table.putIf({
      Item: { ...gateKey(gate), ...gate },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    if (opened.written) return { gate: structuredClone(gate), created: true };
    // Someone else opened it first: DynamoDB says which gate that is; dynalite does not, so read it then.
    const stored = opened.current
      ? fromItem<Gate>(opened.current)
      : await this.getGate(gate.service, gate.run, gate.key);
    if (!stored) throw new Error(`gate ${gate.key} of ${gate.service} #${gate.run} vanished after a conflict`);
    return { gate: stored, created: false };
  }

  async addApproval(gate: GateRef, user: string, at: string): Promise<{ gate: Gate; added: boolean } | undefined> {
    const approved = await this.table.updateIf({
      Key: gateKey(gate),
      UpdateExpression: 'SET approvals.#user = :at',
      ConditionExpression: `${OPEN} AND attribute_not_exists(approvals.#user)`,
      ExpressionAttributeNames: { '#user': user, '#status': 'status' },
      ExpressionAttributeValues: { ':at': at, ':pending': 'pending', ':attempt': gate.attempt },
      ReturnValues: 'ALL_NEW',
    });
    if (approved.written) return { gate: fromItem<Gate>(approved.item ?? {}), added: true };
    // The condition does not say which part failed: only a still-pending gate at this attempt means "already there".
    const stored = approved.current
      ? fromItem<Gate>(approved.current)
      : await this.getGate(gate.service, gate.run, gate.key);
    const samePending =
      stored?.status === 'pending' &&
      stored.attempt === gate.attempt &&
      stored.expiresAt > at &&
      user in stored.approvals;
    return samePending ? { gate: stored, added: false } : undefined;
  }

  async decideGate(gate: GateRef, decision: GateDecision, at: string): Promise<boolean> {
    const rejection = decision.status === 'rejected' ? decision.rejection : undefined;
    const decided = await this.table.updateIf({
      Key: gateKey(gate),
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
    });
    return decided.written;
  }

  async rearmGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    return this.replaceGate(gate, 'pending', fromAttempt);
  }

  async markRequestPosted(gate: GateRef): Promise<boolean> {
    const marked = await this.table.updateIf({
      Key: gateKey(gate),
      UpdateExpression: 'SET requestPosted = :attempt',
      ConditionExpression: 'attempt = :attempt',
      ExpressionAttributeValues: { ':attempt': gate.attempt },
    });
    return marked.written;
  }

  async reopenGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    return this.replaceGate(gate, 'approved', fromAttempt);
  }

  async markEscalated(gate: GateRef, escalation: Escalation): Promise<boolean> {
    // An escalation of an earlier attempt is left by the re-arm (the gate is copied whole): it does not count.
    const marked = await this.table.updateIf({
      Key: gateKey(gate),
      UpdateExpression: 'SET escalation = :escalation',
      ConditionExpression: `${OPEN} AND (attribute_not_exists(escalation) OR escalation.attempt <> :attempt)`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':escalation': { ...escalation, attempt: gate.attempt },
        ':at': escalation.at,
        ':pending': 'pending',
        ':attempt': gate.attempt,
      },
    });
    return marked.written;
  }

  async markEscalationPosted(gate: GateRef): Promise<boolean> {
    const marked = await this.table.updateIf({
      Key: gateKey(gate),
      UpdateExpression: 'SET escalation.posted = :posted',
      ConditionExpression: 'escalation.attempt = :attempt',
      ExpressionAttributeValues: { ':posted': true, ':attempt': gate.attempt },
    });
    return marked.written;
  }

  /** Replaces a gate with its next attempt, unless it left `status` at `fromAttempt` since. */
  private async replaceGate(gate: Gate, status: Gate['status'], fromAttempt: number): Promise<boolean> {
    const replaced = await this.table.putIf({
      Item: { ...gateKey(gate), ...gate },
      ConditionExpression: '#status = :status AND attempt = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':from': fromAttempt },
    });
    return replaced.written;
  }

  /** Run `number`, its gates named by `gateKeys` and (unless `known`) the service record, in one BatchGetItem. */
  private async readRun(
    service: ServiceId,
    number: number,
    gateKeys: readonly string[],
    known?: ServiceRecord,
  ): Promise<HookState> {
    const keys = [...new Set(gateKeys)];
    const items = await this.table.getMany(
      [
        { pk: pk(service), sk: SERVICE },
        { pk: pk(service), sk: runSk(number) },
        ...keys.map((key) => ({ pk: pk(service), sk: gateSk(number, key) })),
      ].slice(known ? 1 : 0),
    );
    const [record, run, ...gates] = known ? [undefined, ...items] : items;
    return {
      service: known ?? (record ? fromItem<ServiceRecord>(record) : undefined),
      run: run ? fromItem<Run>(run) : undefined,
      gates: gates.flatMap((gate) => (gate ? [fromItem<Gate>(gate)] : [])),
    };
  }

  private remember(service: ServiceId, run: number): void {
    this.currentRuns.delete(service);
    this.currentRuns.set(service, run);
    if (this.currentRuns.size > MAX_HINTS) this.currentRuns.delete(this.currentRuns.keys().next().value ?? '');
  }

  private async read<T>(service: ServiceId, sk: string): Promise<T | undefined> {
    const item = await this.table.get({ pk: pk(service), sk });
    return item ? fromItem<T>(item) : undefined;
  }

  private async list<T>(service: ServiceId, prefix: string, options: { newestFirst: boolean; limit?: number }) {
    const items: Item[] = await this.table.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk(service), ':prefix': prefix },
        ScanIndexForward: !options.newestFirst,
      },
      options.limit === undefined ? {} : { limit: options.limit },
    );
    return items.map((item) => fromItem<T>(item));
  }
}
