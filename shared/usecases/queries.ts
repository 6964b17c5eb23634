import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import { approvalCount } from '../domain/gate';
import { runRef } from '../domain/outcomes';
import type { AttemptGroup, HistoryView, ServiceListView, StatusView } from '../domain/views';
import { currentRun } from './current-run';
import type { Deps } from './deps';

/** The views of `/canary list`, `status` and `history`: plain data, laid out by a presenter. */

export async function listServices(deps: Pick<Deps, 'config' | 'store'>): Promise<ServiceListView> {
  const services = await Promise.all(
    [...deps.config.services.values()].map(async (policy) => {
      const run = await currentRun(deps.store, policy.service);
      const line: ServiceListView['services'][number] = { service: policy.service, channel: policy.channel };
      if (run) line.run = { number: run.number, state: run.outcome ?? run.phase, weight: run.weight };
      return line;
    }),
  );
  return { services };
}

export async function status(deps: Pick<Deps, 'config' | 'store'>, service: ServiceId): Promise<StatusView> {
  if (!deps.config.services.has(service)) return { code: 'not-configured', service };
  const [record, run] = await Promise.all([deps.store.getService(service), currentRun(deps.store, service)]);
  if (!run) return { code: 'no-release', service };
  const gates = await deps.store.listGates(service, run.number);
  const view: StatusView = {
    code: 'current',
    run: runRef(run),
    state: run.outcome ?? run.phase,
    weight: run.weight,
    gates: gates.map((g) => ({ key: g.key, status: g.status, count: approvalCount(g), quorum: g.quorum })),
  };
  if (record?.paused) view.paused = { by: record.paused.by, reason: record.paused.reason };
  if (run.rollback) view.rollbackBy = run.rollback.by;
  return view;
}

/** How many of each slice `/canary history` reads: bounded, so a flood of attempts costs a bounded read. */
export const HISTORY = { runs: 5, decisions: 10, attempts: 500 } as const;

/**
 * The releases, then the decisions that took effect (and Flagger's facts), then the refused and repeated attempts
 * grouped per actor, action, outcome and detail. Decisions and attempts are read from separate slices of the
 * trail, so no number of refused clicks can push an accepted approval out of the answer.
 */
export async function history(deps: Pick<Deps, 'config' | 'store'>, service: ServiceId): Promise<HistoryView> {
  if (!deps.config.services.has(service)) return { code: 'not-configured', service };
  const [runs, decisions, attempts] = await Promise.all([
    deps.store.listRuns(service, HISTORY.runs),
    deps.store.listAudit(service, HISTORY.decisions, 'accepted'),
    deps.store.listAudit(service, HISTORY.attempts, 'attempts'),
  ]);
  const view: HistoryView = {
    code: 'history',
    service,
    runs: runs.map((r) => ({ number: r.number, state: r.outcome ?? r.phase, startedAt: r.startedAt })),
    decisions,
    attempts: groupAttempts(attempts),
  };
  if (attempts.length >= HISTORY.attempts) view.attemptsRead = HISTORY.attempts;
  return view;
}

/** Groups refused and duplicate attempts; the most recently tried group first. Pure. */
export function groupAttempts(entries: readonly AuditEntry[]): AttemptGroup[] {
  const groups = new Map<string, AttemptGroup>();
  for (const e of entries) {
    if (e.outcome === 'accepted') continue;
    const key = JSON.stringify([e.actor, e.action, e.outcome, e.detail]);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { ...pick(e), count: 1, firstAt: e.at, lastAt: e.at });
      continue;
    }
    group.count += 1;
    if (e.at < group.firstAt) group.firstAt = e.at;
    if (e.at > group.lastAt) group.lastAt = e.at;
  }
  return [...groups.values()].sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0));
}

const pick = ({ actor, action, outcome, detail }: AuditEntry) => ({ actor, action, outcome, detail });
