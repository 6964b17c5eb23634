import { gateRef } from '../domain/events';
import type { GateType } from '../domain/flagger';
import { type Gate, gateKey, gateTitle, isExpired, openGate, rearm } from '../domain/gate';
import type { ServicePolicy } from '../domain/policy';
import { deployersOf, type Run } from '../domain/release';
import type { Placed } from './current-run';
import { type CoreDeps, publish } from './deps';

// A manual gate's approval request over its life: opened, re-armed after expiry, settled, asked again or reopened.

/**
 * A pending request the worker has not marked posted this long after it opened was lost (worker crash, Slack down,
 * a dropped job): the next Flagger call asks for it again. Shorter would double-queue the call right after opening
 * (harmless, the job is idempotent, but noisy).
 */
export const REPOST_AFTER_MS = 5_000;

/**
 * The approvals that count towards the quorum. The deployer is a property of the whole run: once any hook names
 * someone, their approval counts on no gate of the run, even one given before they were named.
 */
export function countedApprovals(
  policy: ServicePolicy,
  run: Run,
  gate: Gate,
): { counted: string[]; withdrawn: string[] } {
  const approvers = Object.keys(gate.approvals);
  if (policy.allowSelfApproval) return { counted: approvers, withdrawn: [] };
  const deployers = deployersOf(run);
  return {
    counted: approvers.filter((user) => !deployers.includes(user)),
    withdrawn: approvers.filter((user) => deployers.includes(user)),
  };
}

/**
 * The gate's approval request for this run, opened, re-armed after expiry, settled, asked again or reopened as
 * needed; `reopenedFor` names whose approval was withdrawn by this call.
 */
export async function currentRequest(
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
