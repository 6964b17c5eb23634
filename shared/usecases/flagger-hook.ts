import { bounded, TEXT_LIMITS } from '../domain/bounds';
import { gateRef } from '../domain/events';
import { type GateType, type HookCall, isGateType } from '../domain/flagger';
import { type Gate, requestGateKeys } from '../domain/gate';
import { type HookOutcome, runRef } from '../domain/outcomes';
import { analysisOf, gateMode, type ServicePolicy } from '../domain/policy';
import { canRollBack, type Run } from '../domain/release';
import { ROLLBACK_EXECUTION } from '../domain/runbook';
import { maxWeightOf, nextWeight } from '../domain/strategy';
import { type Placed, recordHook, reportRunChanges, updateRun } from './current-run';
import { type CoreDeps, publish } from './deps';
import { escalateIfDue } from './escalation';
import { countedApprovals, currentRequest } from './gate-request';
import { startRunbook } from './runbook-start';
import { takeSnapshot } from './snapshot';

export { REPOST_AFTER_MS } from './gate-request';

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
  const analysis = analysisOf(policy, run);
  const atMax = run.weightFrom === 'flagger' && run.weight >= maxWeightOf(analysis);
  if (gate === 'confirm-traffic-increase' && atMax) return { code: 'at-max-weight', open: true, run: runRef(run) };
  const target = gate === 'confirm-traffic-increase' ? nextWeight(analysis, run.weight) : undefined;
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
      await escalateIfDue(deps, policy, run, request, counted.length);
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

async function advanceWeight(deps: CoreDeps, run: Run, target: number): Promise<void> {
  // Provisional: Flagger's "Advance ... canary weight N" event confirms or corrects it.
  await updateRun(deps.store, run.service, run.number, (r) =>
    r.weight < target ? { ...r, weight: target, weightFrom: 'bot' } : undefined,
  );
}
