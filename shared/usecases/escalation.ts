import { type Escalation, escalationDetail, escalationDue, escalationLost, waitedMs } from '../domain/escalation';
import { gateRef } from '../domain/events';
import type { Gate } from '../domain/gate';
import type { ServicePolicy } from '../domain/policy';
import type { Run } from '../domain/release';
import { type CoreDeps, publish } from './deps';
import { REPOST_AFTER_MS } from './gate-request';

/**
 * A waiting call of a manual gate is where an unanswered request is noticed: Flagger calls the gate every analysis
 * interval while it waits, and the call has read the gate already, so finding nothing due costs no read and no write.
 * When it is due, one conditional write marks the attempt escalated (of concurrent calls, exactly one wins), the audit
 * trail records it, and the mention is queued. A mark whose mention never reached the thread (the writer stopped
 * before queueing it, a lost job) is queued again by a later call, without a write: the presenter posts it once.
 */
export async function escalateIfDue(
  deps: CoreDeps,
  policy: ServicePolicy,
  run: Run,
  request: Gate,
  counted: number,
): Promise<void> {
  const now = deps.now();
  const check = escalationDue(policy, run, request, now);
  if (check.due) {
    // False: another call escalated this attempt first, or it was decided or re-armed since it was read.
    if (!(await deps.store.markEscalated(request, check.escalation))) return;
    await deps.store.appendAudit({
      service: request.service,
      at: check.escalation.at,
      actor: 'release-bot',
      action: 'escalated',
      outcome: 'accepted',
      run: request.run,
      gate: request.key,
      attempt: request.attempt,
      via: 'flagger',
      detail: escalationDetail(request, check.escalation, counted),
      evidence: request.evidence,
    });
    await publish(deps, escalated(request, check.escalation, counted));
  } else if (request.escalation && escalationLost(request, now, REPOST_AFTER_MS)) {
    await publish(deps, escalated(request, request.escalation, counted));
  }
}

const escalated = (request: Gate, escalation: Escalation, count: number) => ({
  type: 'gate-escalated' as const,
  ...gateRef(request),
  to: escalation.to,
  waitedMs: waitedMs(request, escalation),
  count,
  quorum: request.quorum,
  expiresAt: request.expiresAt,
});
