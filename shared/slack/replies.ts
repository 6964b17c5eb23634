import type { KnownBlock } from '@slack/types';
import type { AlertFacts } from '../domain/alert';
import type { ReleaseEvent } from '../domain/events';
import { gateTitle } from '../domain/gate';
import { runLabel } from '../domain/release';
import { rejectionConsequence } from './answers';
import { escapeMrkdwn, mention, mentionList } from './mrkdwn';

/** A reply in a release's thread: `key` is derived from the event, so a redelivered event posts nothing twice. */
export interface ThreadReply {
  key: string;
  text: string;
  /** When the reply needs more than a line: buttons, a snapshot. */
  blocks?: KnownBlock[];
}

/** A rollback an alert asked for names the alert, not a person (the alert comes from the rollback's trigger). */
export function alertRollbackReply(
  event: { service: string; run: number },
  alert: AlertFacts | undefined,
): ThreadReply {
  const what = alert
    ? `Alert *${escapeMrkdwn(alert.name)}*${alert.severity ? ` (${escapeMrkdwn(alert.severity)})` : ''}`
    : 'An alert';
  return {
    key: 'rollback',
    text: `:rewind: ${what} rolled back ${escapeMrkdwn(runLabel({ service: event.service, number: event.run }))}: all traffic goes to the primary now, and Flagger fails the canary at its next check.`,
  };
}

/**
 * The thread reply an event deserves, if any: only what a person must see (an approval, a rejection, a rollback
 * request, a pause, an expired or withdrawn request, the end). Text from people is escaped here.
 */
export function replyFor(event: ReleaseEvent): ThreadReply | undefined {
  switch (event.type) {
    case 'gate-approved':
      return {
        key: `approved:${event.key}`,
        text: `:white_check_mark: ${mentionList(event.approvers)} approved: ${gateTitle(event)}.`,
      };
    case 'gate-rejected':
      return {
        key: `rejected:${event.key}`,
        text: `:no_entry: ${mention(event.by)} rejected: ${gateTitle(event)}. Reason: ${escapeMrkdwn(event.reason)}. ${rejectionConsequence(event)}`,
      };
    case 'gate-expired':
      return {
        key: `expired:${event.key}#${event.attempt}`,
        text: `:hourglass: The request to ${gateTitle(event)} expired without enough approvals. Asking again.`,
      };
    case 'approval-withdrawn':
      return {
        key: `self-approval:${event.key}#${event.attempt}`,
        text:
          `:warning: The approval of ${mentionList(event.users)} no longer counts: Flagger named them as ` +
          `the deployer of this release. Asking again to ${gateTitle(event)}.`,
      };
    case 'rollback-requested':
      // A rejection's rollback was told with the rejection; an alert's is told by the presenter, which reads the alert.
      if (event.cause !== 'person') return undefined;
      return {
        key: 'rollback',
        text: `:rewind: ${mention(event.by)} asked to roll back ${escapeMrkdwn(runLabel({ service: event.service, number: event.run }))}. Flagger will do it at its next check.`,
      };
    case 'paused':
      return {
        key: `pause:${event.at}`,
        text: `:double_vertical_bar: ${mention(event.by)} paused ${escapeMrkdwn(event.service)} (${escapeMrkdwn(event.reason)}): the canary holds its weight until someone resumes it.`,
      };
    case 'resumed':
      return {
        key: `resume:${event.at}`,
        text: `:arrow_forward: ${mention(event.by)} resumed ${escapeMrkdwn(event.service)}.`,
      };
    case 'run-ended':
      return {
        key: 'end',
        text:
          event.outcome === 'succeeded'
            ? ':tada: Promoted: the primary now runs the new revision.'
            : ':red_circle: Failed: Flagger rolled the canary back; the primary is unchanged.',
      };
    case 'analysis-read': {
      // The status line shows the strategy; only what disagrees or would fail is worth a reply.
      const lines = [
        ...(event.drift.length > 0
          ? [
              `:warning: The config's analysis for ${escapeMrkdwn(event.service)} disagrees with the live Canary ` +
                `(${escapeMrkdwn(event.drift.join('; '))}). This release follows the Canary: ` +
                `${escapeMrkdwn(event.strategy)}, ${escapeMrkdwn(event.shape)}.`,
            ]
          : []),
        ...event.problems.map((problem) => `:x: ${escapeMrkdwn(problem)}`),
      ];
      return lines.length > 0 ? { key: 'analysis', text: lines.join('\n') } : undefined;
    }
    case 'analysis-unread':
      return {
        key: 'analysis',
        text:
          `:warning: Could not read the Canary to learn its analysis (${escapeMrkdwn(event.error)}). This release ` +
          `follows the config's: ${escapeMrkdwn(event.fallback)}.`,
      };
    case 'run-superseded':
      return { key: 'end', text: `:fast_forward: Superseded: a newer revision started release #${event.by}.` };
    default:
      return undefined;
  }
}
