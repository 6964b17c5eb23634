import { bounded, TEXT_LIMITS } from '../domain/bounds';
import type { ServiceId } from '../domain/flagger';
import { approvalCount, type Gate, gateTitle } from '../domain/gate';
import { canRollBack, type Run, runLabel } from '../domain/release';
import { escapeMrkdwn, mention } from '../slack/mrkdwn';
import { updateRun } from './current-run';
import {
  type Decider,
  type DecisionResult,
  done,
  late,
  mentions,
  pendingGate,
  permitted,
  record,
  refused,
  staleRun,
  type Target,
  withCaveat,
} from './decision-checks';
import type { Deps } from './deps';

export type { Decider, DecisionResult } from './decision-checks';

/** Reasons people type are cut before they are stored, shown or audited; a cut one says so. */
const reasonOf = (text: string, fallback: string): string => bounded(text.trim() || fallback, TEXT_LIMITS.reason);

export async function approve(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  gateName?: string,
): Promise<DecisionResult> {
  const target = await pendingGate(deps, service, who, gateName, 'approve');
  if ('message' in target) return target;
  return withCaveat(await approveGate(deps, target, who), target.caveat);
}

async function approveGate(deps: Deps, target: Target, who: Decider): Promise<DecisionResult> {
  const { run, gate, now } = target;
  const at = now.toISOString();
  const result = await deps.store.addApproval(gate, who.user, at);
  if (!result) return late(deps, target, gate, who, 'approve');
  const count = approvalCount(result.gate);
  const tally = `approval ${count}/${gate.quorum}`;
  if (!result.added) {
    await record(deps, who, 'approve', 'duplicate', run, result.gate, 'approved again; counted once');
    return done(`You already approved this (${count}/${gate.quorum}).`);
  }
  if (count < gate.quorum) {
    await record(deps, who, 'approve', 'accepted', run, result.gate, tally);
    await refresh(deps, run.service, run.number, gate);
    return done(`Approved (${count}/${gate.quorum}).`);
  }
  const opened = `Approved: Flagger may now ${gateTitle(gate)} for ${runLabel(run)} at its next check.`;
  if (await deps.store.decideGate(gate, { status: 'approved' }, at)) {
    await record(deps, who, 'approve', 'accepted', run, result.gate, `${tally}; the gate is open`);
    await deps.queue.send({
      kind: 'announce',
      service: run.service,
      run: run.number,
      key: `approved:${gate.key}`,
      text: `:white_check_mark: ${mentions(result.gate)} approved: ${gateTitle(gate)}.`,
    });
    await refresh(deps, run.service, run.number, gate);
    return done(opened);
  }
  // Something settled the gate between this approval and its opening: a racing approver opened it (this approval
  // counted), or a rejection won (it did not). Read which, so nobody is told "approved" about a rejected gate.
  const current = await deps.store.getGate(gate.service, gate.run, gate.key);
  if (current?.status === 'approved' && current.attempt === gate.attempt) {
    await record(deps, who, 'approve', 'accepted', run, current, tally);
    return done(opened);
  }
  return late(deps, target, gate, who, 'approve', current ?? null);
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
  return withCaveat(await rejectGate(deps, target, who, reasonOf(reason, 'no reason given')), target.caveat);
}

async function rejectGate(deps: Deps, target: Target, who: Decider, why: string): Promise<DecisionResult> {
  const { run, gate, now } = target;
  const at = now.toISOString();
  const rejection = { by: who.user, at, reason: why };
  if (!(await deps.store.decideGate(gate, { status: 'rejected', rejection }, at))) {
    return late(deps, target, gate, who, 'reject');
  }
  await record(deps, who, 'reject', 'accepted', run, gate, `rejected: ${why}`);
  let consequence = 'Flagger keeps the canary waiting; it sends no traffic to it.';
  if (canRollBack(run)) {
    const rollback = { by: who.user, at, reason: `rejected: ${why}` };
    await updateRun(deps.store, run.service, run.number, (r) => (r.rollback ? undefined : { ...r, rollback }));
    consequence = `Flagger will roll the canary back at its next check.${rollbackHookWarning(run)}`;
  }
  await deps.queue.send({
    kind: 'announce',
    service: run.service,
    run: run.number,
    key: `rejected:${gate.key}`,
    text: `:no_entry: ${mention(who.user)} rejected: ${gateTitle(gate)}. Reason: ${escapeMrkdwn(why)}. ${consequence}`,
  });
  await refresh(deps, run.service, run.number, gate);
  return done(`Rejected. ${consequence}`);
}

/** Stopping a release: its deployer may always ask for it (only the approvers list applies). */
export async function requestRollback(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  reason: string,
): Promise<DecisionResult> {
  const allowed = await permitted(deps, service, who, 'rollback');
  if ('message' in allowed) return allowed;
  return withCaveat(
    await rollBack(deps, service, who, allowed.run, reasonOf(reason, 'requested in Slack')),
    allowed.caveat,
  );
}

async function rollBack(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  run: Run | undefined,
  why: string,
): Promise<DecisionResult> {
  if (!run || run.state === 'ended')
    return refused(`No release of ${service} is in progress, so there is nothing to roll back.`);
  if (who.request && who.request.run !== run.number) return refused(staleRun(who.request.run, run));
  if (run.rollback) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return done(`A rollback of ${runLabel(run)} was already requested by ${mention(run.rollback.by)}.`);
  }
  if (!canRollBack(run)) {
    await record(deps, who, 'rollback', 'refused', run, undefined, `phase ${run.phase}`);
    return refused(
      `${runLabel(run)} is ${run.phase}: no traffic has moved to the canary, and Flagger does not roll back from there. Reject its gate instead.`,
    );
  }
  const rollback = { by: who.user, at: deps.now().toISOString(), reason: why };
  const updated = await updateRun(deps.store, service, run.number, (r) =>
    r.rollback ? undefined : { ...r, rollback },
  );
  if (updated?.rollback?.at !== rollback.at || updated.rollback.by !== who.user) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return done(`A rollback of ${runLabel(run)} was already requested.`);
  }
  await record(deps, who, 'rollback', 'accepted', run, undefined, why);
  await deps.queue.send({
    kind: 'announce',
    service,
    run: run.number,
    key: 'rollback',
    text: `:rewind: ${mention(who.user)} asked to roll back ${runLabel(run)}. Flagger will do it at its next check.`,
  });
  await deps.queue.send({ kind: 'sync-thread', service, run: run.number });
  return done(
    `Rollback requested: Flagger will roll back ${runLabel(run)} at its next check.${rollbackHookWarning(run)}`,
  );
}

/** Pausing stops traffic and anyone on the approvers list may do it; resuming moves traffic, like approving. */
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
    return withCaveat(done(pause ? `${service} is already paused.` : `${service} is not paused.`), allowed.caveat);
  }
  const at = deps.now().toISOString();
  const why = reasonOf(reason, pause ? 'paused in Slack' : 'resume');
  await deps.store.setPaused(service, pause ? { by: who.user, at, reason: why } : undefined);
  await record(deps, who, action, 'accepted', allowed.run, undefined, why);
  if (allowed.run) {
    const text = pause
      ? `:double_vertical_bar: ${mention(who.user)} paused ${service} (${escapeMrkdwn(why)}): the canary holds its weight until someone resumes it.`
      : `:arrow_forward: ${mention(who.user)} resumed ${service}.`;
    await deps.queue.send({ kind: 'announce', service, run: allowed.run.number, key: `${action}:${at}`, text });
    await deps.queue.send({ kind: 'sync-thread', service, run: allowed.run.number });
  }
  const answer = pause
    ? `Paused: ${service} holds its traffic weight until \`/canary resume ${service}\`.`
    : `Resumed ${service}.`;
  return withCaveat(done(answer), allowed.caveat);
}

async function refresh(deps: Deps, service: ServiceId, run: number, gate: Gate): Promise<void> {
  await deps.queue.send({ kind: 'request-approval', service, run, gate: gate.key, attempt: gate.attempt });
  await deps.queue.send({ kind: 'sync-thread', service, run });
}

/** A rollback needs Flagger's rollback webhook; say so when this release never called it. */
const rollbackHookWarning = (run: Run): string =>
  run.hooks?.includes('rollback')
    ? ''
    : ' Warning: Flagger has not called the rollback webhook for this release; without it in the Canary, nothing will roll back.';
