import { bounded, TEXT_LIMITS } from '../domain/bounds';
import { type GateType, type HookCall, isGateType } from '../domain/flagger';
import { type Gate, gateKey, gateTitle, isExpired, openGate, rearm } from '../domain/gate';
import { gateMode, nextWeight, type ServicePolicy } from '../domain/policy';
import { canRollBack, deployersOf, type Run, runLabel } from '../domain/release';
import type { ServiceRecord } from '../ports/store';
import { headline } from '../render/format';
import { mention } from '../slack/mrkdwn';
import { recordHook, reportRunChanges, updateRun } from './current-run';
import type { CoreDeps } from './deps';
import { takeSnapshot } from './snapshot';

/** What Flagger gets back. Flagger treats only 200-202 as yes; refusals are 403 with a sentence (never 5xx). */
export interface HookAnswer {
  status: 200 | 403;
  message: string;
}

const yes = (message: string): HookAnswer => ({ status: 200, message });
const no = (message: string): HookAnswer => ({ status: 403, message });

/**
 * A pending request the worker has not marked posted this long after it opened was lost (worker crash, Slack down,
 * a dropped job): the next Flagger call asks for it again. Shorter would double-queue the call right after opening
 * (harmless, the job is idempotent, but noisy).
 */
export const REPOST_AFTER_MS = 5_000;

export async function handleHook(deps: CoreDeps, call: HookCall): Promise<HookAnswer> {
  const policy = deps.config.services.get(call.service);
  if (!policy) {
    const message = `${call.service} is not configured in release-bot (${deps.config.file}); add it under services`;
    return isGateType(call.hook) || call.hook === 'rollback' ? no(message) : yes(`${message}; ${call.hook} ignored`);
  }
  const placed = await recordHook(deps.store, call);
  await reportRunChanges(deps, placed);
  const run = placed.run;

  if (call.hook === 'rollback') {
    if (run?.rollback)
      return yes(`rolling back ${runLabel(run)}: requested by ${run.rollback.by} (${run.rollback.reason})`);
    return no(run ? `no rollback requested for ${runLabel(run)}` : `no release of ${call.service} is in progress`);
  }
  if (!isGateType(call.hook)) return yes(`${call.hook} recorded${run ? ` for ${runLabel(run)}` : ''}`);
  if (!run) return no(`no release of ${call.service} is in progress`);
  return answerGate(deps, policy, placed.service, run, call.hook);
}

async function answerGate(
  deps: CoreDeps,
  policy: ServicePolicy,
  service: ServiceRecord | undefined,
  run: Run,
  gate: GateType,
): Promise<HookAnswer> {
  if (service?.paused && gate !== 'confirm-rollout') {
    return no(
      `${policy.service} is paused by ${service.paused.by} (${service.paused.reason}); /canary resume ${policy.service} to continue`,
    );
  }
  // At maxWeight Flagger still calls confirm-traffic-increase once, just before confirm-promotion: no step is left.
  // Only Flagger's own "Advance ... canary weight N" says it is there; a weight the bot answered may not have been
  // applied, and then this call is the step to maxWeight itself, which goes through that step's gate below.
  const atMax = run.weightFrom === 'flagger' && run.weight >= policy.analysis.maxWeight;
  if (gate === 'confirm-traffic-increase' && atMax) {
    return yes(`${runLabel(run)} is at its maximum weight; promotion is the next gate`);
  }
  const target = gate === 'confirm-traffic-increase' ? nextWeight(policy, run.weight) : undefined;
  const mode = gateMode(policy, gate, target ?? 100);
  if (mode === 'auto') {
    if (target !== undefined) await advanceWeight(deps, run, target);
    return yes(`${gate} is automatic for ${policy.service}`);
  }
  if (mode === 'slo') return answerBySlo(deps, policy, run, gate, target);
  const { request, reopenedFor } = await currentRequest(deps, policy, run, gate, target);
  const { counted, withdrawn } = countedApprovals(policy, run, request);
  switch (request.status) {
    case 'approved':
      if (target !== undefined) await advanceWeight(deps, run, target);
      return yes(`approved by ${counted.join(', ')}: ${gateTitle(request)} for ${runLabel(run)}`);
    case 'rejected':
      await finishRejection(deps, run, request);
      return no(`rejected by ${request.rejection?.by}: ${request.rejection?.reason}`);
    case 'pending':
      return no(
        `waiting for approval to ${gateTitle(request)} for ${runLabel(run)}: ` +
          `${counted.length}/${request.quorum} approvals from ${approverList(policy)}${selfApprovalNote([...reopenedFor, ...withdrawn])}`,
      );
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

const selfApprovalNote = (withdrawn: string[]): string =>
  withdrawn.length === 0
    ? ''
    : ` (not counted: ${withdrawn.join(', ')}, who deployed this release and may not approve it)`;

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
    await deps.queue.send({ kind: 'sync-thread', service: run.service, run: run.number });
  }
}

/** An SLO-guarded gate opens only on a fresh snapshot where every SLO passes; missing data keeps it closed. */
async function answerBySlo(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<HookAnswer> {
  if (!deps.metrics) return no(`${gate} of ${policy.service} waits for SLOs, but no Prometheus is configured`);
  const snapshot = await takeSnapshot(deps.metrics, policy, deps.now(), run.weight);
  await deps.store.saveSnapshot(run.number, 'latest', snapshot);
  await deps.queue.send({ kind: 'sync-thread', service: run.service, run: run.number });
  if (snapshot.verdict !== 'pass')
    return no(`${gate} of ${runLabel(run)} waits for passing SLOs: ${headline(snapshot)}`);
  if (target !== undefined) await advanceWeight(deps, run, target);
  return yes(`${gate} of ${runLabel(run)}: all SLOs pass`);
}

/**
 * The gate's approval request for this run, opened, re-armed after expiry, settled, asked again or reopened as
 * needed; `reopenedFor` names whose approval was withdrawn by this call.
 */
async function currentRequest(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<{ request: Gate; reopenedFor: string[] }> {
  const now = deps.now();
  // Read first: after the first call of a gate, every tick finds its request, so the common case is one read.
  const existing = await deps.store.getGate(run.service, run.number, gateKey(gate, target));
  const { gate: stored, created } = existing
    ? { gate: existing, created: false }
    : await deps.store.openGate(openGate(policy, run, gate, target, now));
  let request = stored;
  if (created) {
    await audit(deps, request, 'gate-opened', `approval requested to ${gateTitle(request)}`);
    await deps.queue.send(requestJob(request));
  } else if (isExpired(request, now) && (await settleQuorumReachedInTime(deps, policy, run, request))) {
    request.status = 'approved';
  } else if (isExpired(request, now)) {
    const next = rearm(request, policy, now);
    if (await deps.store.rearmGate(next, request.attempt)) {
      await audit(deps, next, 'gate-reopened', `request ${request.attempt} expired without a decision; asking again`);
      await deps.queue.send({
        kind: 'announce',
        service: run.service,
        run: run.number,
        key: `expired:${request.key}#${request.attempt}`,
        text: `:hourglass: The request to ${gateTitle(request)} expired without enough approvals. Asking again.`,
      });
      await deps.queue.send(requestJob(next));
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
      // Nobody was asked: the request was never posted. Ask again; the job posts it once.
      await deps.queue.send(requestJob(request));
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

const requestJob = (gate: Gate) =>
  ({ kind: 'request-approval', service: gate.service, run: gate.run, gate: gate.key, attempt: gate.attempt }) as const;

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
    await deps.queue.send({
      kind: 'announce',
      service: run.service,
      run: run.number,
      key: `self-approval:${request.key}#${request.attempt}`,
      text:
        `:warning: The approval of ${withdrawn.map(mention).join(', ')} no longer counts: Flagger named them as ` +
        `the deployer of this release. Asking again to ${gateTitle(request)}.`,
    });
    await deps.queue.send(requestJob(next));
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

const approverList = (policy: ServicePolicy): string =>
  [...policy.approvers.users, ...policy.approvers.groups.map((g) => `group ${g}`)].join(', ');
