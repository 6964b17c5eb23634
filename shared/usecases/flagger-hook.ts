import { bounded, TEXT_LIMITS } from '../domain/bounds';
import { gateRef } from '../domain/events';
import { type GateType, type HookCall, isGateType } from '../domain/flagger';
import { type Gate, gateKey, gateTitle, isExpired, openGate, rearm, requestGateKeys } from '../domain/gate';
import { type HookOutcome, runRef } from '../domain/outcomes';
import { gateMode, nextWeight, type ServicePolicy } from '../domain/policy';
import { canRollBack, deployersOf, type Run } from '../domain/release';
import { ROLLBACK_EXECUTION } from '../domain/runbook';
import { type Placed, recordHook, reportRunChanges, updateRun } from './current-run';
import { type CoreDeps, publish } from './deps';
import { startRunbook } from './runbook-start';
import { takeSnapshot } from './snapshot';

/**
 * A pending request the worker has not marked posted this long after it opened was lost (worker crash, Slack down,
 * a dropped job): the next Flagger call asks for it again. Shorter would double-queue the call right after opening
 * (harmless, the job is idempotent, but noisy).
 */
export const REPOST_AFTER_MS = 5_000;

/** Records the call on its run and decides Flagger's answer: open (200) or not (403), with the facts of why. */
export async function handleHook(deps: CoreDeps, call: HookCall): Promise<HookOutcome> {
  const policy = deps.config.services.get(call.service);
  if (!policy) {
    const open = !(isGateType(call.hook) || call.hook === 'rollback');
    return { code: 'not-configured', open, service: call.service, hook: call.hook, configFile: deps.config.file };
  }
  const placed = await recordHook(deps.store, call, requestGateKeys(policy, call.hook));
  await reportRunChanges(deps, placed);
  const run = placed.run;

  if (call.hook === 'rollback') {
    if (run?.rollback) {
      await ensureRollbackRunbook(deps, run, run.rollback);
      return { code: 'rollback', open: true, run: runRef(run), ...pick(run.rollback) };
    }
    return run
      ? { code: 'no-rollback', open: false, run: runRef(run) }
      : { code: 'no-release', open: false, service: call.service };
  }
  if (!isGateType(call.hook)) {
    return run
      ? { code: 'recorded', open: true, hook: call.hook, run: runRef(run) }
      : { code: 'recorded', open: true, hook: call.hook };
  }
  if (!run) return { code: 'no-release', open: false, service: call.service };
  return answerGate(deps, policy, placed, run, call.hook);
}

/**
 * A rollback is recorded on the run first and its runbook started after: if the writer stopped in between, Flagger's
 * next rollback-hook call starts it (once: the execution id is fixed per run). Costs one read, only while rolling back.
 */
async function ensureRollbackRunbook(deps: CoreDeps, run: Run, rollback: NonNullable<Run['rollback']>) {
  if (await deps.store.getExecution(run.service, run.number, ROLLBACK_EXECUTION)) return;
  await startRunbook(deps, {
    service: run.service,
    run: run.number,
    runbook: deps.config.services.get(run.service)?.runbook ?? 'rollback',
    id: ROLLBACK_EXECUTION,
    dryRun: false,
    trigger: { cause: rollback.cause ?? 'person', by: rollback.by, reason: rollback.reason },
  });
}

const pick = ({ by, reason }: { by: string; reason: string }) => ({ by, reason });

async function answerGate(
  deps: CoreDeps,
  policy: ServicePolicy,
  placed: Placed,
  run: Run,
  gate: GateType,
): Promise<HookOutcome> {
  const { service } = placed;
  if (service?.paused && gate !== 'confirm-rollout') {
    return { code: 'paused', open: false, service: policy.service, ...pick(service.paused) };
  }
  // At maxWeight Flagger still calls confirm-traffic-increase once, just before confirm-promotion: no step is left.
  // Only Flagger's own "Advance ... canary weight N" says it is there; a weight the bot answered may not have been
  // applied, and then this call is the step to maxWeight itself, which goes through that step's gate below.
  const atMax = run.weightFrom === 'flagger' && run.weight >= policy.analysis.maxWeight;
  if (gate === 'confirm-traffic-increase' && atMax) return { code: 'at-max-weight', open: true, run: runRef(run) };
  const target = gate === 'confirm-traffic-increase' ? nextWeight(policy, run.weight) : undefined;
  const mode = gateMode(policy, gate, target ?? 100);
  if (mode === 'auto') {
    if (target !== undefined) await advanceWeight(deps, run, target);
    return { code: 'automatic', open: true, service: policy.service, gate };
  }
  if (mode === 'slo') return answerBySlo(deps, policy, run, gate, target);
  const { request, reopenedFor } = await currentRequest(deps, policy, placed, run, gate, target);
  const { counted, withdrawn } = countedApprovals(policy, run, request);
  const facts = { run: runRef(run), request: gateRef(request) };
  switch (request.status) {
    case 'approved':
      if (target !== undefined) await advanceWeight(deps, run, target);
      return { code: 'approved', open: true, ...facts, approvers: counted };
    case 'rejected':
      await finishRejection(deps, run, request);
      return {
        code: 'rejected',
        open: false,
        ...facts,
        by: request.rejection?.by ?? '',
        reason: request.rejection?.reason ?? '',
      };
    case 'pending':
      return {
        code: 'waiting-for-approval',
        open: false,
        ...facts,
        count: counted.length,
        quorum: request.quorum,
        approvers: { users: [...policy.approvers.users], groups: [...policy.approvers.groups] },
        notCounted: [...reopenedFor, ...withdrawn],
      };
  }
}

/**
 * The approvals that count towards the quorum. The deployer is a property of the whole run: once any hook names
 * someone, their approval counts on no gate of the run, even one given before they were named.
 */
function countedApprovals(policy: ServicePolicy, run: Run, gate: Gate): { counted: string[]; withdrawn: string[] } {
  const approvers = Object.keys(gate.approvals);
  if (policy.allowSelfApproval) return { counted: approvers, withdrawn: [] };
  const deployers = deployersOf(run);
  return {
    counted: approvers.filter((user) => !deployers.includes(user)),
    withdrawn: approvers.filter((user) => deployers.includes(user)),
  };
}

/**
 * A rejection decides the gate, then records the rollback on the run in a second write. If its writer stopped in
 * between, the rollback hook would answer 403 forever and hold the canary at its weight: finish it here.
 */
async function finishRejection(deps: CoreDeps, run: Run, gate: Gate): Promise<void> {
  const rejection = gate.rejection;
  if (!rejection || run.rollback || !canRollBack(run)) return;
  const rollback = {
    by: rejection.by,
    at: rejection.at,
    reason: bounded(`rejected: ${rejection.reason}`, TEXT_LIMITS.reason),
    cause: 'rejection' as const,
  };
  const updated = await updateRun(deps.store, run.service, run.number, (r) =>
    r.rollback || !canRollBack(r) ? undefined : { ...r, rollback },
  );
  if (updated?.rollback !== undefined && updated.rollback.at === rollback.at && updated.rollback.by === rollback.by) {
    await deps.store.appendAudit({
      service: run.service,
      at: deps.now().toISOString(),
      actor: 'release-bot',
      action: 'rollback',
      outcome: 'accepted',
      run: run.number,
      gate: gate.key,
      attempt: gate.attempt,
      via: 'flagger',
      detail: bounded(
        `rollback for the rejection by ${rejection.by} recorded at Flagger's check`,
        TEXT_LIMITS.auditDetail,
      ),
    });
    await publish(deps, {
      type: 'rollback-requested',
      service: run.service,
      run: run.number,
      by: rejection.by,
      cause: 'rejection',
    });
  }
}

/** An SLO-guarded gate opens only on a fresh snapshot where every SLO passes; missing data keeps it closed. */
async function answerBySlo(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<HookOutcome> {
  if (!deps.metrics) return { code: 'slo-unavailable', open: false, service: policy.service, gate };
  const snapshot = await takeSnapshot(deps.metrics, policy, deps.now(), run.weight);
  await deps.store.saveSnapshot(run.number, 'latest', snapshot);
  await publish(deps, { type: 'snapshot-taken', service: run.service, run: run.number });
  if (snapshot.verdict !== 'pass') return { code: 'slo-waiting', open: false, run: runRef(run), gate, snapshot };
  if (target !== undefined) await advanceWeight(deps, run, target);
  return { code: 'slo-passed', open: true, run: runRef(run), gate };
}

/**
 * The gate's approval request for this run, opened, re-armed after expiry, settled, asked again or reopened as
 * needed; `reopenedFor` names whose approval was withdrawn by this call.
 */
async function currentRequest(
  deps: CoreDeps,
  policy: ServicePolicy,
  placed: Pick<Placed, 'gates' | 'gateKeys'>,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<{ request: Gate; reopenedFor: string[] }> {
  const now = deps.now();
  // Read with the run (recordHook) when the key was foreseen; after the first call of a gate, every tick finds it.
  const key = gateKey(gate, target);
  const existing = placed.gateKeys.includes(key)
    ? placed.gates.find((g) => g.key === key)
    : await deps.store.getGate(run.service, run.number, key);
  const { gate: stored, created } = existing
    ? { gate: existing, created: false }
    : await deps.store.openGate(openGate(policy, run, gate, target, now));
  let request = stored;
  if (created) {
    await audit(deps, request, 'gate-opened', `approval requested to ${gateTitle(request)}`);
    await publish(deps, { type: 'gate-opened', ...gateRef(request) });
  } else if (isExpired(request, now) && (await settleQuorumReachedInTime(deps, policy, run, request))) {
    request.status = 'approved';
  } else if (isExpired(request, now)) {
    const next = rearm(request, policy, now);
    if (await deps.store.rearmGate(next, request.attempt)) {
      await audit(deps, next, 'gate-reopened', `request ${request.attempt} expired without a decision; asking again`);
      await publish(deps, { type: 'gate-expired', ...gateRef(request), next: next.attempt });
    }
    request = (await deps.store.getGate(run.service, run.number, request.key)) ?? next;
  } else if (request.status === 'pending') {
    if (countedApprovals(policy, run, request).counted.length >= request.quorum) {
      // An approval reached the quorum but its writer stopped before settling the gate: settle it now.
      if (await deps.store.decideGate(request, { status: 'approved' }, now.toISOString())) request.status = 'approved';
    } else if (
      request.requestPosted !== request.attempt &&
      now.getTime() - Date.parse(request.openedAt) >= REPOST_AFTER_MS
    ) {
      // Nobody was asked: the request was never posted. Ask again; the presenter posts it once.
      await publish(deps, { type: 'gate-request-lost', ...gateRef(request) });
    }
  } else if (request.status === 'approved' && countedApprovals(policy, run, request).counted.length < request.quorum) {
    const withdrawn = countedApprovals(policy, run, request).withdrawn;
    return { request: await withdrawSelfApproval(deps, policy, run, request), reopenedFor: withdrawn };
  }
  return { request, reopenedFor: [] };
}

/**
 * Approvals land only before the request expires (the store refuses later ones), but the writer that reached the
 * quorum may have stopped before settling the gate. Such a gate was approved in time: settle it as of the approval
 * that reached the quorum rather than throw the approvals away with a new attempt.
 */
async function settleQuorumReachedInTime(deps: CoreDeps, policy: ServicePolicy, run: Run, request: Gate) {
  const { counted } = countedApprovals(policy, run, request);
  const times = counted.map((user) => request.approvals[user] ?? '').sort();
  const reachedAt = times[request.quorum - 1];
  if (!reachedAt || reachedAt >= request.expiresAt) return false;
  return deps.store.decideGate(request, { status: 'approved' }, reachedAt);
}

/**
 * The gate was approved with the approval of someone a later hook named as the deployer: that approval no longer
 * counts, so the gate opens again as a new attempt (new buttons), keeping the approvals that still count.
 */
async function withdrawSelfApproval(deps: CoreDeps, policy: ServicePolicy, run: Run, request: Gate): Promise<Gate> {
  const { counted, withdrawn } = countedApprovals(policy, run, request);
  const approvals = Object.fromEntries(Object.entries(request.approvals).filter(([user]) => counted.includes(user)));
  const { decidedAt: _decided, ...rest } = rearm(request, policy, deps.now());
  const next: Gate = { ...rest, status: 'pending', approvals };
  if (await deps.store.reopenGate(next, request.attempt)) {
    const who = withdrawn.join(', ');
    await audit(deps, next, 'gate-reopened', `approval by ${who} withdrawn: named as this release's deployer`);
    await publish(deps, { type: 'approval-withdrawn', ...gateRef(request), users: withdrawn, next: next.attempt });
  }
  return (await deps.store.getGate(run.service, run.number, request.key)) ?? next;
}

async function advanceWeight(deps: CoreDeps, run: Run, target: number): Promise<void> {
  // Provisional: Flagger's "Advance ... canary weight N" event confirms or corrects it.
  await updateRun(deps.store, run.service, run.number, (r) =>
    r.weight < target ? { ...r, weight: target, weightFrom: 'bot' } : undefined,
  );
}

async function audit(
  deps: CoreDeps,
  gate: Gate,
  action: 'gate-opened' | 'gate-reopened',
  detail: string,
): Promise<void> {
  await deps.store.appendAudit({
    service: gate.service,
    at: deps.now().toISOString(),
    actor: 'flagger',
    action,
    outcome: 'accepted',
    run: gate.run,
    gate: gate.key,
    attempt: gate.attempt,
    via: 'flagger',
    detail,
    evidence: gate.evidence,
  });
}
