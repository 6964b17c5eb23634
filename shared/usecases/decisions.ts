import { bounded, TEXT_LIMITS } from '../domain/bounds';
import { gateRef } from '../domain/events';
import type { ServiceId } from '../domain/flagger';
import { approvalCount, type Gate } from '../domain/gate';
import { type DecisionOutcome, refusal, runRef, withCaveat } from '../domain/outcomes';
import { canRollBack, type Run, rollbackHookSeen } from '../domain/release';
import { executionId, ROLLBACK_EXECUTION, type RunbookTrigger } from '../domain/runbook';
import { updateRun } from './current-run';
import {
  type Decider,
  isOutcome,
  late,
  pendingGate,
  permitted,
  record,
  staleRun,
  type Target,
} from './decision-checks';
import { type CoreDeps, type Deps, publish } from './deps';
import { startRunbook } from './runbook-start';

export type { Decider } from './decision-checks';

/** Reasons people type are cut before they are stored, shown or audited; a cut one says so. */
const reasonOf = (text: string, fallback: string): string => bounded(text.trim() || fallback, TEXT_LIMITS.reason);

export async function approve(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  gateName?: string,
): Promise<DecisionOutcome> {
  const target = await pendingGate(deps, service, who, gateName, 'approve');
  if (isOutcome(target)) return target;
  return withCaveat(await approveGate(deps, target, who), target.caveat);
}

async function approveGate(deps: Deps, target: Target, who: Decider): Promise<DecisionOutcome> {
  const { run, gate, now } = target;
  const at = now.toISOString();
  const result = await deps.store.addApproval(gate, who.user, at);
  if (!result) return late(deps, target, gate, who, 'approve');
  const count = approvalCount(result.gate);
  const tally = `approval ${count}/${gate.quorum}`;
  if (!result.added) {
    await record(deps, who, 'approve', 'duplicate', run, result.gate, 'approved again; counted once');
    return { result: 'duplicate', code: 'already-counted', count, quorum: gate.quorum };
  }
  const ref = gateRef(gate);
  if (count < gate.quorum) {
    await record(deps, who, 'approve', 'accepted', run, result.gate, tally);
    await publish(deps, { type: 'approval-counted', ...ref, user: who.user, count, quorum: gate.quorum });
    return { result: 'accepted', code: 'approval-counted', count, quorum: gate.quorum };
  }
  const opened: DecisionOutcome = { result: 'accepted', code: 'gate-approved', request: ref };
  if (await deps.store.decideGate(gate, { status: 'approved' }, at)) {
    await record(deps, who, 'approve', 'accepted', run, result.gate, `${tally}; the gate is open`);
    await publish(deps, { type: 'gate-approved', ...ref, approvers: Object.keys(result.gate.approvals) });
    return opened;
  }
  // Something settled the gate between this approval and its opening: a racing approver opened it (this approval
  // counted), or a rejection won (it did not). Read which, so nobody is told "approved" about a rejected gate.
  const current = await deps.store.getGate(gate.service, gate.run, gate.key);
  if (current?.status === 'approved' && current.attempt === gate.attempt) {
    await record(deps, who, 'approve', 'accepted', run, current, tally);
    return opened;
  }
  return late(deps, target, gate, who, 'approve', current ?? null);
}

export async function reject(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  reason: string,
  gateName?: string,
): Promise<DecisionOutcome> {
  const target = await pendingGate(deps, service, who, gateName, 'reject');
  if (isOutcome(target)) return target;
  return withCaveat(await rejectGate(deps, target, who, reasonOf(reason, 'no reason given')), target.caveat);
}

/**
 * An alert while the release is Waiting: it rejects the pending confirm-rollout as `alertmanager`, with no Slack
 * permission check (the configuration chose to act on alerts). The same path as a person's rejection otherwise.
 */
export function rejectForAlert(deps: CoreDeps, run: Run, gate: Gate, reason: string): Promise<DecisionOutcome> {
  const who: Decider = { user: 'alertmanager', via: 'alertmanager' };
  const target: Target = { policy: policyOf(deps, run.service), run, gate, now: deps.now() };
  return rejectGate(deps, target, who, reasonOf(reason, 'alert'));
}

const policyOf = (deps: CoreDeps, service: ServiceId) => {
  const policy = deps.config.services.get(service);
  if (!policy) throw new Error(`${service} is not configured`);
  return policy;
};

async function rejectGate(deps: CoreDeps, target: Target, who: Decider, why: string): Promise<DecisionOutcome> {
  const { run, gate, now } = target;
  const at = now.toISOString();
  const rejection = { by: who.user, at, reason: why };
  if (!(await deps.store.decideGate(gate, { status: 'rejected', rejection }, at))) {
    return late(deps, target, gate, who, 'reject');
  }
  await record(deps, who, 'reject', 'accepted', run, gate, `rejected: ${why}`);
  const rollback = canRollBack(run);
  if (rollback) {
    const requested = { by: who.user, at, reason: `rejected: ${why}`, cause: 'rejection' as const };
    await updateRun(deps.store, run.service, run.number, (r) =>
      r.rollback ? undefined : { ...r, rollback: requested },
    );
  }
  const facts = { rollback, rollbackHookSeen: rollbackHookSeen(run) };
  await publish(deps, { type: 'gate-rejected', ...gateRef(gate), by: who.user, reason: why, ...facts });
  if (rollback) await startRollbackRunbook(deps, run, { cause: 'rejection', by: who.user, reason: `rejected: ${why}` });
  return { result: 'accepted', code: 'rejected', ...facts };
}

/**
 * Stopping a release: its deployer may always ask for it (only the approvers list applies). With `dryRun`, the
 * service's rollback runbook runs as a preview (server-side dry runs, nothing signalled) and nothing else changes.
 */
export async function requestRollback(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  reason: string,
  options: { dryRun?: boolean } = {},
): Promise<DecisionOutcome> {
  const allowed = await permitted(deps, service, who, 'rollback');
  if (isOutcome(allowed)) return allowed;
  const why = reasonOf(reason, 'requested in Slack');
  const outcome = options.dryRun
    ? await previewRollback(deps, service, who, allowed.run, why)
    : await rollBack(deps, service, { cause: 'person', by: who.user, reason: why }, allowed.run, who);
  return withCaveat(outcome, allowed.caveat);
}

async function previewRollback(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  run: Run | undefined,
  why: string,
): Promise<DecisionOutcome> {
  if (!run || run.state === 'ended') return refusal({ code: 'no-release', action: 'rollback', service });
  if (who.request && who.request.run !== run.number) return refusal(staleRun(who.request.run, run)[0]);
  const runbook = policyRunbook(deps, service);
  const id = executionId(runbook, deps.now().getTime(), true);
  const started = await startRunbook(deps, {
    service,
    run: run.number,
    runbook,
    id,
    dryRun: true,
    trigger: { cause: 'person', by: who.user, reason: `dry run: ${why}` },
  });
  if (!started) return unknownRunbook(deps, service, runbook);
  return { result: 'accepted', code: 'dry-run-started', run: runRef(run), execution: id, runbook };
}

/**
 * Rolls a run back for a person or an alert: the rollback hook answers 200 from now on (Flagger fails the canary
 * at its next check) and the service's rollback runbook starts. At most once per run, whoever asks first.
 */
export async function rollBack(
  deps: CoreDeps,
  service: ServiceId,
  trigger: RunbookTrigger,
  run: Run | undefined,
  who: Decider = { user: trigger.by, via: trigger.cause },
): Promise<DecisionOutcome> {
  if (!run || run.state === 'ended') return refusal({ code: 'no-release', action: 'rollback', service });
  if (who.request && who.request.run !== run.number) return refusal(staleRun(who.request.run, run)[0]);
  const already = (by?: string): DecisionOutcome =>
    by
      ? { result: 'duplicate', code: 'rollback-already-requested', run: runRef(run), by }
      : { result: 'duplicate', code: 'rollback-already-requested', run: runRef(run) };
  if (run.rollback) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return already(run.rollback.by);
  }
  if (!canRollBack(run)) {
    await record(deps, who, 'rollback', 'refused', run, undefined, `phase ${run.phase}`);
    return refusal({ code: 'not-rollable', run: runRef(run), phase: run.phase });
  }
  const rollback = { by: trigger.by, at: deps.now().toISOString(), reason: trigger.reason, cause: trigger.cause };
  // Whether this call's write is the one stored: racing alerts share `by` and may share `at`, so the stored value
  // cannot tell; the last attempt of `updateRun` does (it either saved this change or found one already there).
  let won = false;
  await updateRun(deps.store, service, run.number, (r) => {
    won = !r.rollback;
    return r.rollback ? undefined : { ...r, rollback };
  });
  if (!won) {
    await record(deps, who, 'rollback', 'duplicate', run, undefined, 'rollback already requested');
    return already();
  }
  await record(deps, who, 'rollback', 'accepted', run, undefined, trigger.reason);
  // The configuration check makes sure the service's runbook exists, so it is named before it starts.
  const execution = deps.config.runbooks[policyRunbook(deps, service)] ? { execution: ROLLBACK_EXECUTION } : {};
  await publish(deps, {
    type: 'rollback-requested',
    service,
    run: run.number,
    by: trigger.by,
    cause: trigger.cause,
    ...execution,
  });
  await startRollbackRunbook(deps, run, trigger);
  return {
    result: 'accepted',
    code: 'rollback-requested',
    run: runRef(run),
    rollbackHookSeen: rollbackHookSeen(run),
    ...execution,
  };
}

/** The service's rollback runbook for this run, once per run (`ROLLBACK_EXECUTION`); undefined if not configured. */
function startRollbackRunbook(deps: CoreDeps, run: Run, trigger: RunbookTrigger) {
  return startRunbook(deps, {
    service: run.service,
    run: run.number,
    runbook: policyRunbook(deps, run.service),
    id: ROLLBACK_EXECUTION,
    dryRun: false,
    trigger,
  });
}

const policyRunbook = (deps: CoreDeps, service: ServiceId): string =>
  deps.config.services.get(service)?.runbook ?? 'rollback';

const unknownRunbook = (deps: CoreDeps, service: ServiceId, runbook: string): DecisionOutcome =>
  refusal({ code: 'unknown-runbook', service, runbook, known: Object.keys(deps.config.runbooks) });

/** Pausing stops traffic and anyone on the approvers list may do it; resuming moves traffic, like approving. */
export async function setPause(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  pause: boolean,
  reason = '',
): Promise<DecisionOutcome> {
  const action = pause ? 'pause' : 'resume';
  const allowed = await permitted(deps, service, who, action);
  if (isOutcome(allowed)) return allowed;
  const stored = await deps.store.getService(service);
  if (Boolean(stored?.paused) === pause) {
    return withCaveat({ result: 'duplicate', code: pause ? 'already-paused' : 'not-paused', service }, allowed.caveat);
  }
  const at = deps.now().toISOString();
  const why = reasonOf(reason, pause ? 'paused in Slack' : 'resume');
  await deps.store.setPaused(service, pause ? { by: who.user, at, reason: why } : undefined);
  await record(deps, who, action, 'accepted', allowed.run, undefined, why);
  const run = allowed.run ? { run: allowed.run.number } : {};
  await publish(
    deps,
    pause
      ? { type: 'paused', service, ...run, by: who.user, at, reason: why }
      : { type: 'resumed', service, ...run, by: who.user, at },
  );
  return withCaveat({ result: 'accepted', code: pause ? 'paused' : 'resumed', service }, allowed.caveat);
}
