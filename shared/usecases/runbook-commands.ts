import type { ServiceId } from '../domain/flagger';
import { type DecisionOutcome, refusal, runRef } from '../domain/outcomes';
import { executionId } from '../domain/runbook';
import { type Decider, isOutcome, permitted, record } from './decision-checks';
import { type Deps, publish } from './deps';
import { startRunbook } from './runbook-start';

/**
 * A named runbook run by a person (`/canary runbook <service> <name>`): the diagnosing ones read and snapshot,
 * any other may change the cluster, so the rollback rule applies to all (approvers and the deployer).
 */
export async function runNamedRunbook(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  runbook: string,
  options: { dryRun?: boolean } = {},
): Promise<DecisionOutcome> {
  const allowed = await permitted(deps, service, who, 'rollback');
  if (isOutcome(allowed)) return allowed;
  const { run } = allowed;
  if (!run || run.state === 'ended') return refusal({ code: 'no-release', action: 'rollback', service });
  if (!deps.config.runbooks[runbook]) {
    return refusal({ code: 'unknown-runbook', service, runbook, known: Object.keys(deps.config.runbooks) });
  }
  const dryRun = options.dryRun ?? false;
  const id = executionId(runbook, deps.now().getTime(), dryRun);
  await startRunbook(deps, {
    service,
    run: run.number,
    runbook,
    id,
    dryRun,
    trigger: { cause: 'person', by: who.user, reason: `${dryRun ? 'dry run ' : ''}asked in Slack` },
  });
  const started = { run: runRef(run), execution: id, runbook };
  return dryRun
    ? { result: 'accepted', code: 'dry-run-started', ...started }
    : { result: 'accepted', code: 'runbook-started', ...started };
}

/**
 * A person confirms the step a runbook waits at: once (a second click finds it running), by someone allowed to
 * roll back, for the execution the button names. The executor goes on from the next step.
 */
export async function confirmRunbook(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  run: number,
  id: string,
): Promise<DecisionOutcome> {
  const allowed = await permitted(deps, service, who, 'rollback');
  if (isOutcome(allowed)) return allowed;
  const execution = await deps.store.getExecution(service, run, id);
  const ref = runRef({ service, number: run });
  if (execution?.state !== 'waiting') {
    return refusal({
      code: 'runbook-not-waiting',
      run: ref,
      execution: id,
      ...(execution ? { state: execution.state } : {}),
    });
  }
  const step = execution.steps[execution.next];
  const at = deps.now().toISOString();
  const confirmed = {
    ...execution,
    state: 'running' as const,
    next: execution.next + 1,
    results: [
      ...execution.results,
      {
        index: execution.next,
        kind: step?.kind ?? 'confirm',
        status: 'ok' as const,
        startedAt: at,
        endedAt: at,
        durationMs: 0,
        detail: `confirmed by ${who.user}`,
        attempts: 1,
      },
    ],
  };
  // Conditional on the version read: of two people clicking at once, one confirms and the other is told it runs.
  if (!(await deps.store.saveExecution(confirmed))) {
    return refusal({ code: 'runbook-not-waiting', run: ref, execution: id, state: 'running' });
  }
  await record(
    deps,
    who,
    'runbook-step',
    'accepted',
    allowed.run,
    undefined,
    `confirmed step ${execution.next + 1} of ${id}`,
    service,
  );
  await publish(deps, { type: 'runbook-progressed', service, run, execution: id, step: execution.next });
  await deps.queue.send({ kind: 'runbook', service, run, execution: id });
  return { result: 'accepted', code: 'runbook-confirmed', run: ref, execution: id };
}
