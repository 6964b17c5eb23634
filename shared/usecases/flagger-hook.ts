import { type GateType, type HookCall, isGateType } from '../domain/flagger';
import { approvalCount, type Gate, gateTitle, isExpired, openGate, quorumReached, rearm } from '../domain/gate';
import { needsHuman, nextWeight, type ServicePolicy } from '../domain/policy';
import { type Run, runLabel } from '../domain/release';
import type { ServiceRecord } from '../ports/store';
import { type Placed, recordHook, updateRun } from './current-run';
import type { CoreDeps } from './deps';

/** What Flagger gets back. Flagger treats only 200-202 as yes; refusals are 403 with a sentence (never 5xx). */
export interface HookAnswer {
  status: 200 | 403;
  message: string;
}

const yes = (message: string): HookAnswer => ({ status: 200, message });
const no = (message: string): HookAnswer => ({ status: 403, message });

export async function handleHook(deps: CoreDeps, call: HookCall): Promise<HookAnswer> {
  const policy = deps.config.services.get(call.service);
  if (!policy) {
    const message = `${call.service} is not configured in release-bot (${deps.config.file}); add it under services`;
    return isGateType(call.hook) || call.hook === 'rollback' ? no(message) : yes(`${message}; ${call.hook} ignored`);
  }
  const placed = await recordHook(deps.store, call);
  if (placed.started && placed.run) await deps.store.appendAudit(runStarted(placed.run, placed));
  if (placed.run) await deps.queue.send({ kind: 'sync-thread', service: call.service, run: placed.run.number });
  if (placed.superseded) {
    await deps.queue.send({ kind: 'sync-thread', service: call.service, run: placed.superseded.number });
  }
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
  const target = gate === 'confirm-traffic-increase' ? nextWeight(policy, run.weight) : undefined;
  if (!needsHuman(policy, gate, target ?? 100)) {
    if (target !== undefined) await advanceWeight(deps, run, target);
    return yes(`${gate} is automatic for ${policy.service}`);
  }
  const request = await currentRequest(deps, policy, run, gate, target);
  switch (request.status) {
    case 'approved':
      if (target !== undefined) await advanceWeight(deps, run, target);
      return yes(
        `approved by ${Object.keys(request.approvals).join(', ')}: ${gateTitle(request)} for ${runLabel(run)}`,
      );
    case 'rejected':
      return no(`rejected by ${request.rejection?.by}: ${request.rejection?.reason}`);
    case 'pending':
      return no(
        `waiting for approval to ${gateTitle(request)} for ${runLabel(run)}: ` +
          `${approvalCount(request)}/${request.quorum} approvals from ${approverList(policy)}`,
      );
  }
}

/** The gate's approval request for this run, opened, re-armed after expiry, or settled as needed. */
async function currentRequest(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<Gate> {
  const now = deps.now();
  const { gate: stored, created } = await deps.store.openGate(openGate(policy, run, gate, target, now));
  let request = stored;
  if (created) {
    await audit(deps, request, 'gate-opened', `approval requested to ${gateTitle(request)}`);
    await deps.queue.send({
      kind: 'request-approval',
      service: run.service,
      run: run.number,
      gate: request.key,
      attempt: 1,
    });
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
      await deps.queue.send({
        kind: 'request-approval',
        service: run.service,
        run: run.number,
        gate: next.key,
        attempt: next.attempt,
      });
    }
    request = (await deps.store.getGate(run.service, run.number, request.key)) ?? next;
  } else if (request.status === 'pending' && quorumReached(request)) {
    // An approval reached the quorum but its writer stopped before settling the gate: settle it now.
    if (await deps.store.decideGate(request, { status: 'approved' }, now.toISOString())) request.status = 'approved';
  }
  return request;
}

async function advanceWeight(deps: CoreDeps, run: Run, target: number): Promise<void> {
  // Provisional: Flagger's "Advance ... canary weight N" event confirms or corrects it.
  await updateRun(deps.store, run.service, run.number, (r) =>
    r.weight < target ? { ...r, weight: target } : undefined,
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

function runStarted(run: Run, placed: Placed) {
  const superseded = placed.superseded ? `; supersedes release #${placed.superseded.number}` : '';
  return {
    service: run.service,
    at: run.startedAt,
    actor: 'flagger',
    action: 'run-started' as const,
    outcome: 'accepted' as const,
    run: run.number,
    via: 'flagger',
    detail: `new revision detected${superseded}`,
  };
}

const approverList = (policy: ServicePolicy): string =>
  [...policy.approvers.users, ...policy.approvers.groups.map((g) => `group ${g}`)].join(', ');
