import type { RunbookStep } from '../domain/runbook';
import { snapshotSummary } from '../domain/snapshot-text';
import { isClusterFailure, type ResourceRef, type RunbookCluster } from '../ports/cluster';
import { updateRun } from './current-run';
import { inspect } from './runbook-inspect';
import { failure, noCluster, resolveName, type StepContext, type StepOutcome } from './runbook-step-context';
import { waitFor } from './runbook-wait';
import { takeSnapshot } from './snapshot';

export type { RunbookDeps, StepContext, StepOutcome } from './runbook-step-context';

/** One function per step kind: each is idempotent, so a crash mid-step that reruns it does no harm. */
export function runStep(ctx: StepContext, step: RunbookStep): Promise<StepOutcome> {
  switch (step.kind) {
    case 'signal-flagger':
      return signalFlagger(ctx);
    case 'set-weights':
      return change(ctx, (c, dryRun) =>
        c.setWeights(
          ctx.names.namespace,
          ctx.names.service,
          { primary: step.primary, canary: step.canary },
          { dryRun },
        ),
      );
    case 'scale':
      return change(ctx, (c, dryRun) =>
        c.scale(ctx.names.namespace, resolveName(step.deployment, ctx.names), step.replicas, { dryRun }),
      );
    case 'patch':
      return change(ctx, (c, dryRun) => c.mergePatch(refOf(ctx, step.resource), step.patch, { dryRun }));
    case 'annotate':
      return change(ctx, (c, dryRun) => c.annotate(refOf(ctx, step.resource), step.annotations, { dryRun }));
    case 'wait':
      return waitFor(ctx, step);
    case 'inspect':
      return inspect(ctx, step.what);
    case 'snapshot':
      return snapshot(ctx);
    case 'confirm':
      return Promise.resolve(
        ctx.execution.dryRun ? { status: 'dry-run', detail: `would ask: ${step.prompt}` } : { hold: 'confirm' },
      );
    case 'notify':
      return Promise.resolve({ status: 'ok', detail: step.text });
  }
}

const refOf = (ctx: StepContext, resource: { kind: ResourceRef['kind']; name: string }): ResourceRef => ({
  kind: resource.kind,
  namespace: ctx.names.namespace,
  name: resolveName(resource.name, ctx.names),
});

/** A change through the service's cluster; in a dry run the same call as a server-side dry run. */
async function change(
  ctx: StepContext,
  call: (cluster: RunbookCluster, dryRun: boolean) => ReturnType<RunbookCluster['scale']>,
): Promise<StepOutcome> {
  if (!ctx.cluster) return noCluster(ctx);
  const dryRun = ctx.execution.dryRun;
  const done = await call(ctx.cluster, dryRun);
  if (isClusterFailure(done)) return failure(done);
  if (dryRun) return { status: 'dry-run', detail: `would change: ${done.summary}` };
  return { status: 'ok', detail: done.summary };
}

/**
 * From now on the run's rollback hook answers 200, so Flagger fails the canary at its next check (it adopts the
 * weights the next steps set). Once per run: a rollback someone else asked for already counts.
 */
async function signalFlagger(ctx: StepContext): Promise<StepOutcome> {
  const { deps, execution } = ctx;
  const run = await deps.store.getRun(execution.service, execution.run);
  if (!run) return { status: 'failed', detail: `release #${execution.run} is not in the store` };
  if (run.rollback) return { status: 'ok', detail: `already signalled by ${run.rollback.by}` };
  if (run.state === 'ended') return { status: 'skipped', detail: `release #${run.number} has already ended` };
  if (execution.dryRun) return { status: 'dry-run', detail: 'would tell Flagger to roll back at its next check' };
  const { by, reason, cause } = execution.trigger;
  const rollback = { by, at: deps.now().toISOString(), reason, cause };
  const updated = await updateRun(deps.store, execution.service, run.number, (r) =>
    r.rollback || r.state === 'ended' ? undefined : { ...r, rollback },
  );
  const mine = updated?.rollback?.at === rollback.at && updated.rollback.by === rollback.by;
  if (!mine && updated?.rollback) return { status: 'ok', detail: `already signalled by ${updated.rollback.by}` };
  if (!mine) return { status: 'skipped', detail: `release #${run.number} has already ended` };
  return { status: 'ok', detail: 'the rollback hook answers 200 from now on: Flagger rolls back at its next check' };
}

/** The release's SLO snapshot as evidence, kept under `runbook:<execution>#<index>`. Read-only, so also in dry runs. */
async function snapshot(ctx: StepContext): Promise<StepOutcome> {
  const { deps, execution, policy } = ctx;
  if (!deps.metrics) return { status: 'skipped', detail: 'no Prometheus is configured' };
  const taken = await takeSnapshot(deps.metrics, policy, deps.now(), undefined, ctx.cluster);
  await deps.store.saveSnapshot(execution.run, `runbook:${execution.id}#${execution.next}`, taken);
  return { status: 'ok', detail: snapshotSummary(taken) };
}
