import type { ReleaseEvent } from '../domain/events';
import { gateTitle, isExpired } from '../domain/gate';
import { formatDuration } from '../domain/snapshot-text';
import { groupMention, mention } from './mrkdwn';
import type { ThreadReply } from './replies';
import { postReply, type ThreadDeps } from './thread';

type Escalated = Extract<ReleaseEvent, { type: 'gate-escalated' }>;

/**
 * The escalation's one reply in the release thread: groups as `<!subteam^S…>`, users as `<@U…>`, made only from
 * IDs that look like Slack's (anything else is shown as escaped text), so it never becomes `@channel` or `@here`.
 * Not broadcast: the mention notifies the people it names; the channel saw the request already.
 */
export function escalationReply(event: Escalated): ThreadReply {
  const who = [...event.to.groups.map(groupMention), ...event.to.users.map(mention)].join(' ');
  const waited = formatDuration(Math.round(event.waitedMs / 1000));
  return {
    key: `escalated:${event.key}#${event.attempt}`,
    text:
      `:rotating_light: ${who} The request to ${gateTitle(event)} has waited ${waited} without a decision ` +
      `(${event.count}/${event.quorum} approvals). Approve or reject it above before it expires at ${hhmm(event.expiresAt)} UTC.`,
  };
}

const hhmm = (iso: string): string => (Number.isNaN(Date.parse(iso)) ? '?' : new Date(iso).toISOString().slice(11, 16));

/**
 * Posts the mention once (the reply's key is recorded in the thread), unless the request no longer waits by the time
 * the job runs: decided, re-armed, expired, or its release ended or is rolling back. Then marks it posted either way,
 * so the Flagger path stops asking for it.
 */
export async function postEscalation(deps: ThreadDeps, event: Escalated): Promise<void> {
  const [run, gate] = await Promise.all([
    deps.store.getRun(event.service, event.run),
    deps.store.getGate(event.service, event.run, event.key),
  ]);
  if (!run || !gate) return;
  const waiting =
    gate.attempt === event.attempt &&
    gate.status === 'pending' &&
    !isExpired(gate, deps.now()) &&
    run.state !== 'ended' &&
    !run.rollback;
  if (waiting) await postReply(deps, event.service, event.run, escalationReply(event));
  if (gate.escalation?.attempt === event.attempt && gate.escalation.posted !== true) {
    await deps.store.markEscalationPosted({
      service: gate.service,
      run: gate.run,
      key: gate.key,
      attempt: event.attempt,
    });
  }
}
