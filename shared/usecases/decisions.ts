import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import { approvalCount, type Gate, gateTitle } from '../domain/gate';
import { mayDecide, type ServicePolicy } from '../domain/policy';
import { canRollBack, type Run, runLabel } from '../domain/release';
import { snapshotSummary } from '../render/format';
import { currentRun, updateRun } from './current-run';
import type { Deps } from './deps';

/** Who asked, and from where; `request` pins a decision to the approval message the person clicked. */
export interface Decider {
  user: string;
  via: string;
  request?: { run: number; gate: string; attempt: number };
}

/** The answer shown to the person (ephemerally); `ok` false means refused, with `message` saying why. */
export interface DecisionResult {
  ok: boolean;
  message: string;
}

const refused = (message: string): DecisionResult => ({ ok: false, message });
const done = (message: string): DecisionResult => ({ ok: true, message });

type Action = 'approve' | 'reject' | 'rollback' | 'pause' | 'resume';

export async function approve(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  gateName?: string,
): Promise<DecisionResult> {
  const target = await pendingGate(deps, service, who, gateName, 'approve');
  if ('message' in target) return target;
  const { run, gate } = target;
  const now = deps.now().toISOString();
  const result = await deps.store.addApproval(gate, who.user, now);
  if (!result) return settledAlready(deps, service, who, run, gate, 'approve');
  const count = approvalCount(result.gate);
  if (!result.added) {
    await record(deps, who, 'approve', 'duplicate', run, result.gate, 'approved again; counted once');
    return done(`You already approved this (${count}/${gate.quorum}).`);
  }
  await record(deps, who, 'approve', 'accepted', run, result.gate, `approval ${count}/${gate.quorum}`);
  let message = `Approved (${count}/${gate.quorum}).`;
  if (count >= gate.quorum && (await deps.store.decideGate(gate, { status: 'approved' }, now))) {
    message = `Approved: Flagger may now ${gateTitle(gate)} for ${runLabel(run)} at its next check.`;
    await deps.queue.send({
      kind: 'announce',
      service,
      run: run.number,
      key: `approved:${gate.key}`,
      text: `:white_check_mark: ${mentions(result.gate)} approved: ${gateTitle(gate)}.`,
    });
  }
  await refresh(deps, service, run.number, gate);
  return done(message);
}

export async function reject(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  reason: string,
  gateName?: string,
): Promise<DecisionResult> {
  const target = await pendingGate(deps, service, who, gateName, 'reject');
  if ('message' in target) return target;
  const { run, gate } = target;
  const now = deps.now().toISOString();
  const why = reason.trim() || 'no reason given';
  if (
    !(await deps.store.decideGate(gate, { status: 'rejected', rejection: { by: who.user, at: now, reason: why } }, now))
  ) {
    return settledAlready(deps, service, who, run, gate, 'reject');
  }
  await record(deps, who, 'reject', 'accepted', run, gate, `rejected: ${why}`);
  let consequence = 'Flagger keeps the canary waiting; it sends no traffic to it.';
  if (canRollBack(run)) {
    const rollback = { by: who.user, at: now, reason: `rejected: ${why}` };
    await updateRun(deps.store, service, run.number, (r) => (r.rollback ? undefined : { ...r, rollback }));
    consequence = `Flagger will roll the canary back at its next check.${rollbackHookWarning(run)}`;
  }
  await deps.queue.send({
    kind: 'announce',
    service,
    run: run.number,
    key: `rejected:${gate.key}`,
    text: `:no_entry: <@${who.user}> rejected: ${gateTitle(gate)}. Reason: ${why}. ${consequence}`,
  });
  await refresh(deps, service, run.number, gate);
  return done(`Rejected. ${consequence}`);
}

export async function requestRollback(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  reason: string,
): Promise<DecisionResult> {
  const allowed = await permitted(deps, service, who, 'rollback');
  if ('message' in allowed) return allowed;
  const { run } = allowed;
  if (!run || run.state === 'ended')
    return refused(`No release of ${service} is in progress, so there is nothing to roll back.`);
  if (who.request && who.request.run !== run.number) return refused(staleRun(who.request.run, run));
  if (run.rollback) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return done(`A rollback of ${runLabel(run)} was already requested by <@${run.rollback.by}>.`);
  }
  if (!canRollBack(run)) {
    await record(deps, who, 'rollback', 'refused', run, undefined, `phase ${run.phase}`);
    return refused(
      `${runLabel(run)} is ${run.phase}: no traffic has moved to the canary, and Flagger does not roll back from there. Reject its gate instead.`,
    );
  }
  const rollback = { by: who.user, at: deps.now().toISOString(), reason: reason || 'requested in Slack' };
  const updated = await updateRun(deps.store, service, run.number, (r) =>
    r.rollback ? undefined : { ...r, rollback },
  );
  if (updated?.rollback?.at !== rollback.at || updated.rollback.by !== who.user) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return done(`A rollback of ${runLabel(run)} was already requested.`);
  }
  await record(deps, who, 'rollback', 'accepted', run, undefined, reason || 'requested in Slack');
  await deps.queue.send({
    kind: 'announce',
    service,
    run: run.number,
    key: 'rollback',
    text: `:rewind: <@${who.user}> asked to roll back ${runLabel(run)}. Flagger will do it at its next check.`,
  });
  await deps.queue.send({ kind: 'sync-thread', service, run: run.number });
  return done(
    `Rollback requested: Flagger will roll back ${runLabel(run)} at its next check.${rollbackHookWarning(run)}`,
  );
}

export async function setPause(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  pause: boolean,
  reason = '',
): Promise<DecisionResult> {
  const action = pause ? 'pause' : 'resume';
  const allowed = await permitted(deps, service, who, action);
  if ('message' in allowed) return allowed;
  const record_ = await deps.store.getService(service);
  if (Boolean(record_?.paused) === pause) {
    return done(pause ? `${service} is already paused.` : `${service} is not paused.`);
  }
  const at = deps.now().toISOString();
  await deps.store.setPaused(service, pause ? { by: who.user, at, reason: reason || 'paused in Slack' } : undefined);
  await record(deps, who, action, 'accepted', allowed.run, undefined, reason || action);
  if (allowed.run) {
    const text = pause
      ? `:double_vertical_bar: <@${who.user}> paused ${service}: the canary holds its weight until someone resumes it.`
      : `:arrow_forward: <@${who.user}> resumed ${service}.`;
    await deps.queue.send({ kind: 'announce', service, run: allowed.run.number, key: `${action}:${at}`, text });
    await deps.queue.send({ kind: 'sync-thread', service, run: allowed.run.number });
  }
  return done(
    pause ? `Paused: ${service} holds its traffic weight until \`/canary resume ${service}\`.` : `Resumed ${service}.`,
  );
}

type Permitted = { policy: ServicePolicy; run: Run | undefined };

async function permitted(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  action: Action,
): Promise<Permitted | DecisionResult> {
  const policy = deps.config.services.get(service);
  if (!policy) return refused(`${service} is not configured in release-bot.`);
  const run = await currentRun(deps.store, service);
  const { groups } = await deps.directory.groupsOf(who.user, policy.approvers.groups);
  const permission = mayDecide(policy, who.user, groups, run?.deployedBy);
  if (!permission.allowed) {
    await record(deps, who, action, 'refused', run, undefined, permission.reason, service);
    return refused(`You cannot ${action} this: ${permission.reason}.`);
  }
  return { policy, run };
}

async function pendingGate(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  gateName: string | undefined,
  action: 'approve' | 'reject',
): Promise<(Permitted & { run: Run; gate: Gate }) | DecisionResult> {
  const allowed = await permitted(deps, service, who, action);
  if ('message' in allowed) return allowed;
  const { run } = allowed;
  // Every refusal of someone allowed to decide is in the audit trail too: a click on a stale button included.
  const refuse = async (message: string, gate?: Gate): Promise<DecisionResult> => {
    await record(deps, who, action, 'refused', run, gate, message, service);
    return refused(message);
  };
  if (!run) return refuse(`No release of ${service} is in progress.`);
  if (who.request && who.request.run !== run.number) return refuse(staleRun(who.request.run, run));
  if (run.state === 'ended') return refuse(`${runLabel(run)} has ended (${run.outcome}); there is nothing to decide.`);
  if (who.request) {
    const gate = await deps.store.getGate(service, run.number, who.request.gate);
    if (!gate) return refuse('That approval request no longer exists.');
    if (gate.attempt !== who.request.attempt) {
      return refuse('That approval request expired; use the newer one in the thread.', gate);
    }
    if (gate.status !== 'pending') return settledAlready(deps, service, who, run, gate, action);
    return { ...allowed, run, gate };
  }
  const pending = (await deps.store.listGates(service, run.number)).filter((g) => g.status === 'pending');
  const matching = gateName ? pending.filter((g) => g.key === gateName || g.gate === gateName) : pending;
  if (matching.length === 1 && matching[0]) return { ...allowed, run, gate: matching[0] };
  if (matching.length === 0) {
    return refuse(`Nothing of ${runLabel(run)} is waiting for approval${gateName ? ` at ${gateName}` : ''}.`);
  }
  return refuse(`Several gates are waiting (${matching.map((g) => g.key).join(', ')}); name one.`);
}

async function settledAlready(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  run: Run,
  gate: Gate,
  action: 'approve' | 'reject',
) {
  const current = (await deps.store.getGate(service, run.number, gate.key)) ?? gate;
  await record(deps, who, action, 'duplicate', run, current, `already ${current.status}`);
  const by = current.status === 'rejected' ? `<@${current.rejection?.by}>` : mentions(current);
  return refused(`This was already ${current.status} by ${by}.`);
}

async function refresh(deps: Deps, service: ServiceId, run: number, gate: Gate): Promise<void> {
  await deps.queue.send({ kind: 'request-approval', service, run, gate: gate.key, attempt: gate.attempt });
  await deps.queue.send({ kind: 'sync-thread', service, run });
}

async function record(
  deps: Deps,
  who: Decider,
  action: AuditEntry['action'],
  outcome: AuditEntry['outcome'],
  run: Run | undefined,
  gate: Gate | undefined,
  detail: string,
  service = run?.service ?? gate?.service ?? '',
): Promise<void> {
  const entry: AuditEntry = {
    service,
    at: deps.now().toISOString(),
    actor: who.user,
    action,
    outcome,
    via: who.via,
    detail,
  };
  if (run) entry.run = run.number;
  if (gate) {
    // The evidence is what the request showed: the release context and the metric snapshot posted with it.
    const snapshot = await deps.store.getSnapshot(gate.service, gate.run, `${gate.key}#${gate.attempt}`);
    const evidence = snapshot ? `${gate.evidence}. ${snapshotSummary(snapshot)}` : gate.evidence;
    Object.assign(entry, { gate: gate.key, attempt: gate.attempt, evidence });
  }
  await deps.store.appendAudit(entry);
}

/** A rollback needs Flagger's rollback webhook; say so when this release never called it. */
const rollbackHookWarning = (run: Run): string =>
  run.hooks?.includes('rollback')
    ? ''
    : ' Warning: Flagger has not called the rollback webhook for this release; without it in the Canary, nothing will roll back.';

const staleRun = (asked: number, run: Run): string =>
  `That request belongs to release #${asked}; ${runLabel(run)} is the current one.`;
const mentions = (gate: Gate): string =>
  Object.keys(gate.approvals)
    .map((u) => `<@${u}>`)
    .join(', ') || 'nobody';
