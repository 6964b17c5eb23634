import type { AlertFacts } from '../domain/alert';
import { matchAlert, rollsBackOnItsOwn } from '../domain/alert-match';
import type { AuditEntry } from '../domain/audit';
import { boundedEntry } from '../domain/audit';
import { gateRef } from '../domain/events';
import type { ServiceId } from '../domain/flagger';
import { isExpired } from '../domain/gate';
import { type AlertOutcome, runRef } from '../domain/outcomes';
import type { Run } from '../domain/release';
import { currentLog } from '../observability/logger';
import { currentRun } from './current-run';
import { rejectForAlert, rollBack } from './decisions';
import { type CoreDeps, publish } from './deps';

const ACTOR = 'alertmanager';

/**
 * What the bot does with one alert: nothing for an alert it cannot place, a note for a service with no release in
 * flight, otherwise report, reject the pending confirm-rollout (Waiting), roll back (the policy says so), or offer.
 *
 * Duplicates are expected (at-least-once delivery, HA pairs, `repeat_interval`): `rollBack` acts once per run, a
 * rejected gate stays rejected, and the events may be published again on purpose, so a lost one is made up for;
 * the presenter replies once per `alert:<fingerprint>@<startsAt>:<status>`.
 */
export async function receiveAlert(deps: CoreDeps, alert: AlertFacts): Promise<AlertOutcome> {
  const match = matchAlert(deps.config.alerts.labels, deps.config.services, alert.labels);
  if (!match.matched) {
    currentLog().info('alert matches no configured service', {
      alert: alert.name,
      fingerprint: alert.fingerprint,
      match,
    });
    return match.why === 'not-configured'
      ? { code: 'unmatched', why: match.why, service: `${match.namespace}/${match.name}` }
      : { code: 'unmatched', why: match.why };
  }
  const service = match.service;
  const run = await currentRun(deps.store, service);
  if (!run || run.state === 'ended') {
    await audit(
      deps,
      service,
      undefined,
      alert,
      'refused',
      `alert ${alert.name} (${alert.status}) for a service with no release in flight`,
    );
    return { code: 'no-release', service };
  }
  if (alert.status === 'resolved') {
    await Promise.all([
      audit(deps, service, run, alert, 'accepted', `alert ${alert.name} resolved`),
      publish(deps, { type: 'alert-resolved', service, run: run.number, alert }),
    ]);
    return { code: 'resolved', run: runRef(run) };
  }
  const outcome = await act(deps, service, run, alert);
  const action =
    outcome.code === 'resolved' || outcome.code === 'no-release' || outcome.code === 'unmatched'
      ? undefined
      : outcome.code;
  await Promise.all([
    audit(deps, service, run, alert, 'accepted', `alert ${alert.name} (${alert.severity ?? 'no severity'}): ${action}`),
    action ? publish(deps, { type: 'alert-received', service, run: run.number, alert, action }) : undefined,
  ]);
  return outcome;
}

async function act(deps: CoreDeps, service: ServiceId, run: Run, alert: AlertFacts): Promise<AlertOutcome> {
  const reason = `alert ${alert.name}${alert.summary ? `: ${alert.summary}` : ''}`;
  if (run.phase === 'Waiting') {
    const gates = (await deps.store.listGates(service, run.number)).filter((g) => g.gate === 'confirm-rollout');
    const pending = gates.find((g) => g.status === 'pending' && !isExpired(g, deps.now()));
    if (pending) {
      const decided = await rejectForAlert(deps, run, pending, reason);
      if (decided.result === 'accepted')
        return { code: 'rejected-rollout', run: runRef(run), request: gateRef(pending), already: false };
    }
    const rejected = gates.find((g) => g.status === 'rejected');
    if (rejected) return { code: 'rejected-rollout', run: runRef(run), request: gateRef(rejected), already: true };
  }
  if (run.rollback) return { code: 'already-rolling-back', run: runRef(run), by: run.rollback.by };
  const policy = deps.config.services.get(service)?.autoRollback ?? deps.config.alerts.autoRollback;
  if (!rollsBackOnItsOwn(policy, alert)) return { code: 'offered', run: runRef(run), why: 'policy' };
  const trigger = {
    cause: 'alert' as const,
    by: ACTOR,
    reason: `alert ${alert.name} (${alert.severity ?? 'no severity'})${alert.summary ? `: ${alert.summary}` : ''}`,
    alert,
  };
  const decided = await rollBack(deps, service, trigger, run, { user: ACTOR, via: ACTOR });
  switch (decided.code) {
    case 'rollback-requested':
      return decided.execution
        ? { code: 'rolling-back', run: runRef(run), execution: decided.execution }
        : { code: 'rolling-back', run: runRef(run) };
    case 'rollback-already-requested':
      return decided.by
        ? { code: 'already-rolling-back', run: runRef(run), by: decided.by }
        : { code: 'already-rolling-back', run: runRef(run) };
    default:
      return { code: 'offered', run: runRef(run), why: 'not-rollable' };
  }
}

/** Every alert about a configured service is in the audit trail, with the alert (bounded) as evidence. */
function audit(
  deps: CoreDeps,
  service: ServiceId,
  run: Run | undefined,
  alert: AlertFacts,
  outcome: AuditEntry['outcome'],
  detail: string,
): Promise<void> {
  const entry: AuditEntry = {
    service,
    at: deps.now().toISOString(),
    actor: ACTOR,
    action: 'alert',
    outcome,
    via: ACTOR,
    detail,
    evidence: JSON.stringify(alert),
  };
  if (run) entry.run = run.number;
  return deps.store.appendAudit(boundedEntry(entry));
}
