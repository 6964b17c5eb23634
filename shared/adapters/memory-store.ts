import { type AuditEntry, boundedEntry } from '../domain/audit';
import type { Escalation } from '../domain/escalation';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { Run } from '../domain/release';
import type { RunbookExecution } from '../domain/runbook';
import type { Snapshot } from '../domain/snapshot';
import type { AuditSlice } from '../ports/audit-log';
import type { GateDecision, GateRef, HookState, ServiceRecord } from '../ports/release-state';
import type { ReleaseStore } from '../ports/store';
import type { ThreadRecord } from '../ports/thread-store';

const runId = (service: ServiceId, run: number) => `${service}#${run}`;
const gateId = (gate: Pick<Gate, 'service' | 'run' | 'key'>) => `${gate.service}#${gate.run}#${gate.key}`;
const copy = structuredClone;

/**
 * Every store port in memory, for unit tests: one class, so a test can subclass it to interleave a racer. Every method runs to completion without awaiting in between, which makes
 * each one atomic just like a conditional write; values are copied in and out so callers cannot alias stored state.
 */
export class MemoryStore implements ReleaseStore {
  private readonly services = new Map<ServiceId, ServiceRecord>();
  private readonly runs = new Map<string, Run>();
  private readonly gates = new Map<string, Gate>();
  private readonly audit: AuditEntry[] = [];
  private readonly threads = new Map<string, ThreadRecord>();
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly executions = new Map<string, RunbookExecution>();

  // ReleaseState

  async getService(service: ServiceId): Promise<ServiceRecord | undefined> {
    return copy(this.services.get(service));
  }

  async readHookState(service: ServiceId, gateKeys: readonly string[]): Promise<HookState> {
    const record = await this.getService(service);
    const run = record && record.runCount > 0 ? await this.getRun(service, record.runCount) : undefined;
    const gates = run
      ? [...new Set(gateKeys)].map((key) => this.gates.get(gateId({ service, run: run.number, key })))
      : [];
    return { service: record, run, gates: copy(gates.filter((gate) => gate !== undefined)) };
  }

  async startRun(run: Run, previousCount: number): Promise<boolean> {
    const id = runId(run.service, run.number);
    if (!this.runs.has(id)) this.runs.set(id, copy(run));
    const record = this.services.get(run.service);
    if ((record?.runCount ?? 0) !== previousCount) return false;
    this.services.set(run.service, { ...record, service: run.service, runCount: run.number });
    return true;
  }

  async getRun(service: ServiceId, run: number): Promise<Run | undefined> {
    return copy(this.runs.get(runId(service, run)));
  }

  async saveRun(run: Run): Promise<boolean> {
    const id = runId(run.service, run.number);
    if (this.runs.get(id)?.version !== run.version) return false;
    this.runs.set(id, { ...copy(run), version: run.version + 1 });
    return true;
  }

  async listRuns(service: ServiceId, limit: number): Promise<Run[]> {
    const runs = [...this.runs.values()].filter((run) => run.service === service);
    return copy(runs.sort((a, b) => b.number - a.number).slice(0, limit));
  }

  async setPaused(service: ServiceId, paused: ServiceRecord['paused'] | undefined): Promise<void> {
    const record: ServiceRecord = { service, runCount: this.services.get(service)?.runCount ?? 0 };
    if (paused) record.paused = copy(paused);
    this.services.set(service, record);
  }

  async getGate(service: ServiceId, run: number, key: string): Promise<Gate | undefined> {
    return copy(this.gates.get(gateId({ service, run, key })));
  }

  async listGates(service: ServiceId, run: number): Promise<Gate[]> {
    const gates = [...this.gates.values()].filter((gate) => gate.service === service && gate.run === run);
    return copy(gates.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }

  async openGate(gate: Gate): Promise<{ gate: Gate; created: boolean }> {
    const stored = this.gates.get(gateId(gate));
    if (stored) return { gate: copy(stored), created: false };
    this.gates.set(gateId(gate), copy(gate));
    return { gate: copy(gate), created: true };
  }

  async addApproval(gate: GateRef, user: string, at: string): Promise<{ gate: Gate; added: boolean } | undefined> {
    const stored = this.open(gate, at);
    if (!stored) return undefined;
    const added = !(user in stored.approvals);
    if (added) stored.approvals[user] = at;
    return { gate: copy(stored), added };
  }

  async decideGate(gate: GateRef, decision: GateDecision, at: string): Promise<boolean> {
    const stored = this.open(gate, at);
    if (!stored) return false;
    stored.status = decision.status;
    stored.decidedAt = at;
    if (decision.status === 'rejected') stored.rejection = copy(decision.rejection);
    return true;
  }

  async rearmGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    if (!this.pending({ ...gate, attempt: fromAttempt })) return false;
    this.gates.set(gateId(gate), copy(gate));
    return true;
  }

  async markRequestPosted(gate: GateRef): Promise<boolean> {
    const stored = this.gates.get(gateId(gate));
    if (stored?.attempt !== gate.attempt) return false;
    stored.requestPosted = gate.attempt;
    return true;
  }

  async reopenGate(gate: Gate, fromAttempt: number): Promise<boolean> {
    const stored = this.gates.get(gateId(gate));
    if (stored?.status !== 'approved' || stored.attempt !== fromAttempt) return false;
    this.gates.set(gateId(gate), copy(gate));
    return true;
  }

  async markEscalated(gate: GateRef, escalation: Escalation): Promise<boolean> {
    const stored = this.open(gate, escalation.at);
    if (!stored || stored.escalation?.attempt === gate.attempt) return false;
    stored.escalation = copy({ ...escalation, attempt: gate.attempt });
    return true;
  }

  async markEscalationPosted(gate: GateRef): Promise<boolean> {
    const stored = this.gates.get(gateId(gate));
    if (!stored?.escalation || stored.escalation.attempt !== gate.attempt) return false;
    stored.escalation.posted = true;
    return true;
  }

  // AuditLog

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.audit.push(copy(boundedEntry(entry)));
  }

  async listAudit(service: ServiceId, limit: number, slice: AuditSlice = 'all'): Promise<AuditEntry[]> {
    const inSlice = (entry: AuditEntry) => slice === 'all' || (slice === 'accepted') === (entry.outcome === 'accepted');
    // Reversed first, so entries at the same instant come newest-written first (the sort is stable).
    const entries = this.audit.filter((entry) => entry.service === service && inSlice(entry)).reverse();
    return copy(entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit));
  }

  // ThreadStore

  async getThread(service: ServiceId, run: number): Promise<ThreadRecord | undefined> {
    return copy(this.threads.get(runId(service, run)));
  }

  async saveThread(thread: ThreadRecord): Promise<void> {
    this.threads.set(runId(thread.service, thread.run), copy(thread));
  }

  // SnapshotStore

  async getSnapshot(service: ServiceId, run: number, key: string): Promise<Snapshot | undefined> {
    return copy(this.snapshots.get(`${runId(service, run)}#${key}`));
  }

  async saveSnapshot(run: number, key: string, snapshot: Snapshot): Promise<void> {
    this.snapshots.set(`${runId(snapshot.service, run)}#${key}`, copy(snapshot));
  }

  // RunbookStore

  async createExecution(execution: RunbookExecution): Promise<{ execution: RunbookExecution; created: boolean }> {
    const id = `${runId(execution.service, execution.run)}#${execution.id}`;
    const stored = this.executions.get(id);
    if (stored) return { execution: copy(stored), created: false };
    this.executions.set(id, copy(execution));
    return { execution: copy(execution), created: true };
  }

  async getExecution(service: ServiceId, run: number, id: string): Promise<RunbookExecution | undefined> {
    return copy(this.executions.get(`${runId(service, run)}#${id}`));
  }

  async saveExecution(execution: RunbookExecution): Promise<boolean> {
    const id = `${runId(execution.service, execution.run)}#${execution.id}`;
    if (this.executions.get(id)?.version !== execution.version) return false;
    this.executions.set(id, { ...copy(execution), version: execution.version + 1 });
    return true;
  }

  async listExecutions(service: ServiceId, run: number, limit: number): Promise<RunbookExecution[]> {
    const prefix = `${runId(service, run)}#`;
    const found = [...this.executions.entries()].filter(([id]) => id.startsWith(prefix)).map(([, e]) => e);
    return copy(found.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).slice(0, limit));
  }

  /** Pending at that attempt and not expired at `at`: what DynamoStore's conditions say, in the same terms. */
  private open(gate: GateRef, at: string): Gate | undefined {
    const stored = this.pending(gate);
    return stored && stored.expiresAt > at ? stored : undefined;
  }

  private pending(gate: GateRef): Gate | undefined {
    const stored = this.gates.get(gateId(gate));
    return stored?.status === 'pending' && stored.attempt === gate.attempt ? stored : undefined;
  }
}
