import { type GateType, type HookCall, isGateType } from '../domain/flagger';
import {
  approvalCount,
  type Gate,
  gateKey,
  gateTitle,
  isExpired,
  openGate,
  quorumReached,
  rearm,
} from '../domain/gate';
import { gateMode, nextWeight, type ServicePolicy } from '../domain/policy';
import { type Run, runLabel } from '../domain/release';
import type { ServiceRecord } from '../ports/store';
import { headline } from '../render/format';
import { type Placed, recordHook, updateRun } from './current-run';
import type { CoreDeps } from './deps';
import { takeSnapshot } from './snapshot';

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
  if (gate === 'confirm-traffic-increase' && run.weight >= policy.analysis.maxWeight) {
    return yes(`${runLabel(run)} is at its maximum weight; promotion is the next gate`);
  }
  const target = gate === 'confirm-traffic-increase' ? nextWeight(policy, run.weight) : undefined;
  const mode = gateMode(policy, gate, target ?? 100);
  if (mode === 'auto') {
    if (target !== undefined) await advanceWeight(deps, run, target);
    return yes(`${gate} is automatic for ${policy.service}`);
  }
  if (mode === 'slo') return answerBySlo(deps, policy, run, gate, target);
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

/** The gate's approval request for this run, opened, re-armed after expiry, or settled as needed. */
async function currentRequest(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  target: number | undefined,
): Promise<Gate> {
  const now = deps.now();
  // Read first: after the first call of a gate, every tick finds its request, so the common case is one read.
  const existing = await deps.store.getGate(run.service, run.number, gateKey(gate, target));
  const { gate: stored, created } = existing
    ? { gate: existing, created: false }
    : await deps.store.openGate(openGate(policy, run, gate, target, now));
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

/** Audit and thread updates for what this call changed: a run started, ended, or was replaced by a newer one. */
async function reportRunChanges(deps: CoreDeps, placed: Placed): Promise<void> {
  const { run, superseded } = placed;
  if (!run) return;
  const entry = {
    service: run.service,
    at: run.updatedAt,
    actor: 'flagger',
    outcome: 'accepted' as const,
    run: run.number,
    via: 'flagger',
  };
  if (placed.started) {
    const detail = `new revision detected${superseded ? `; supersedes release #${superseded.number}` : ''}`;
    await deps.store.appendAudit({ ...entry, action: 'run-started', detail });
  }
  if (placed.changed) await deps.queue.send({ kind: 'sync-thread', service: run.service, run: run.number });
  if (placed.ended) {
    await deps.store.appendAudit({ ...entry, action: 'run-ended', detail: run.outcome ?? 'ended' });
    await closeRun(
      deps,
      run,
      run.outcome === 'succeeded'
        ? ':tada: Promoted: the primary now runs the new revision.'
        : ':red_circle: Failed: Flagger rolled the canary back; the primary is unchanged.',
    );
  }
  if (superseded) {
    await closeRun(deps, superseded, `:fast_forward: Superseded: a newer revision started release #${run.number}.`);
  }
}

/** Says how the run ended in its thread, and takes the buttons off requests nobody needs to answer any more. */
async function closeRun(deps: CoreDeps, run: Run, text: string): Promise<void> {
  await deps.queue.send({ kind: 'announce', service: run.service, run: run.number, key: 'end', text });
  for (const gate of await deps.store.listGates(run.service, run.number)) {
    if (gate.status !== 'pending') continue;
    await deps.queue.send({
      kind: 'request-approval',
      service: run.service,
      run: run.number,
      gate: gate.key,
      attempt: gate.attempt,
    });
  }
}

const approverList = (policy: ServicePolicy): string =>
  [...policy.approvers.users, ...policy.approvers.groups.map((g) => `group ${g}`)].join(', ');
