import type { ServiceId } from '../domain/flagger';
import { newExecution, type RunbookExecution, type RunbookTrigger } from '../domain/runbook';
import type { CoreDeps } from './deps';
import { publish } from './deps';

export interface RunbookRequest {
  service: ServiceId;
  run: number;
  runbook: string;
  id: string;
  dryRun: boolean;
  trigger: RunbookTrigger;
}

/**
 * Starts an execution of a configured runbook for a run, or finds the one already started under that id (a
 * duplicate alert, a retried click): either way its job is queued while it runs, so a crash between storing the
 * execution and queueing its job loses nothing (the executor's lease makes the extra job harmless).
 * Undefined when the runbook is not configured.
 */
export async function startRunbook(
  deps: Pick<CoreDeps, 'config' | 'store' | 'queue' | 'now'>,
  request: RunbookRequest,
): Promise<{ execution: RunbookExecution; created: boolean } | undefined> {
  const definition = deps.config.runbooks[request.runbook];
  if (!definition) return undefined;
  const now = deps.now();
  const { execution, created } = await deps.store.createExecution(newExecution({ ...request, definition, now }));
  if (created) {
    await deps.store.appendAudit({
      service: request.service,
      at: now.toISOString(),
      actor: request.trigger.by,
      action: 'runbook-started',
      outcome: 'accepted',
      run: request.run,
      via: request.trigger.cause,
      detail: `${request.dryRun ? 'dry run of ' : ''}runbook ${request.runbook} (${execution.id}): ${request.trigger.reason}`,
      ...(request.trigger.alert ? { evidence: JSON.stringify(request.trigger.alert) } : {}),
    });
    await publish(deps, {
      type: 'runbook-started',
      service: request.service,
      run: request.run,
      execution: execution.id,
    });
  }
  if (execution.state === 'running') {
    await deps.queue.send({ kind: 'runbook', service: request.service, run: request.run, execution: execution.id });
  }
  return { execution, created };
}
