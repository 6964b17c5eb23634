import { expiredSentence, gateTitle } from '../domain/gate';
import type { DecisionOutcome } from '../domain/outcomes';
import { runLabel } from '../domain/release';
import { escapeMrkdwn, groupMention, mention, mentionList } from './mrkdwn';

/**
 * What the person who decided reads (ephemerally), as mrkdwn: the sentence for each decision outcome, with the
 * directory caveat when the answer depended on it. Names, reasons and typed gate names are escaped here.
 */
export function decisionText(outcome: DecisionOutcome): string {
  const sentence = decisionSentence(outcome);
  return outcome.caveat ? `${sentence} (${escapeMrkdwn(outcome.caveat)})` : sentence;
}

/** The ephemeral reply: a refusal is marked, so it reads as one at a glance. */
export const replyText = (outcome: DecisionOutcome): string =>
  outcome.result === 'refused' ? `:no_entry_sign: ${decisionText(outcome)}` : decisionText(outcome);

const release = (run: { service: string; number: number }) => escapeMrkdwn(runLabel(run));

/** A rollback needs Flagger's rollback webhook; say so when this release never called it. */
const rollbackHookWarning = (seen: boolean): string =>
  seen
    ? ''
    : ' Warning: Flagger has not called the rollback webhook for this release; without it in the Canary, nothing will roll back.';

/** What a rejection leads to, in the answer and in the thread. */
export const rejectionConsequence = (facts: { rollback: boolean; rollbackHookSeen: boolean }): string =>
  facts.rollback
    ? `Flagger will roll the canary back at its next check.${rollbackHookWarning(facts.rollbackHookSeen)}`
    : 'Flagger keeps the canary waiting; it sends no traffic to it.';

const runbookName = (name: string): string => (name === 'rollback' ? 'the rollback' : `runbook ${escapeMrkdwn(name)}`);

function decisionSentence(o: DecisionOutcome): string {
  switch (o.code) {
    case 'approval-counted':
      return `Approved (${o.count}/${o.quorum}).`;
    case 'gate-approved':
      return `Approved: Flagger may now ${gateTitle(o.request)} for ${release({ service: o.request.service, number: o.request.run })} at its next check.`;
    case 'rejected':
      return `Rejected. ${rejectionConsequence(o)}`;
    case 'rollback-requested':
      return `Rollback requested: Flagger will roll back ${release(o.run)} at its next check.${rollbackHookWarning(o.rollbackHookSeen)}`;
    case 'paused':
      return `Paused: ${escapeMrkdwn(o.service)} holds its traffic weight until \`/canary resume ${escapeMrkdwn(o.service)}\`.`;
    case 'resumed':
      return `Resumed ${escapeMrkdwn(o.service)}.`;
    case 'already-counted':
      return `You already approved this (${o.count}/${o.quorum}).`;
    case 'already-approved':
      return `You already approved this; it is approved by ${mentionList(o.approvers)}.`;
    case 'already-rejected':
      return 'You already rejected this.';
    case 'rollback-already-requested':
      return o.by
        ? `A rollback of ${release(o.run)} was already requested by ${mention(o.by)}.`
        : `A rollback of ${release(o.run)} was already requested.`;
    case 'already-paused':
      return `${escapeMrkdwn(o.service)} is already paused.`;
    case 'not-paused':
      return `${escapeMrkdwn(o.service)} is not paused.`;
    case 'not-configured':
      return `${escapeMrkdwn(o.service)} is not configured in release-bot.`;
    case 'not-approver': {
      const names = [...o.approvers.users.map(mention), ...o.approvers.groups.map(groupMention)];
      const approvers = names.length === 0 ? 'no approvers are configured' : `approvers: ${names.join(', ')}`;
      return `You cannot ${o.action} this: you are not an approver for ${escapeMrkdwn(o.service)} (${approvers}).`;
    }
    case 'self-approval': {
      const why = o.action === 'resume' ? 'resuming moves traffic again, so it needs' : 'it needs';
      return `You cannot ${o.action} this: you deployed this release of ${escapeMrkdwn(o.service)}, and ${why} someone else's approval.`;
    }
    case 'no-release':
      return o.action === 'rollback'
        ? `No release of ${escapeMrkdwn(o.service)} is in progress, so there is nothing to roll back.`
        : `No release of ${escapeMrkdwn(o.service)} is in progress.`;
    case 'stale-request':
      return `That request belongs to release #${o.askedRun}; ${release(o.run)} is the current one.`;
    case 'ended':
      return `${release(o.run)} has ended (${o.outcome}); there is nothing to decide.`;
    case 'request-missing':
      return 'That approval request no longer exists.';
    case 'request-replaced':
      return 'That approval request expired; use the newer one in the thread.';
    case 'lost-to-approval':
      return o.action === 'approve'
        ? `This was already approved by ${mentionList(o.approvers)}.`
        : `This was already approved by ${mentionList(o.approvers)} before your rejection: Flagger may ${gateTitle(o.request)}. To stop the release, use \`/canary rollback ${escapeMrkdwn(o.request.service)}\` or the Roll back button.`;
    case 'lost-to-rejection':
      return `${mention(o.by)} rejected this first (reason: ${escapeMrkdwn(o.reason)})${o.action === 'approve' ? ': your approval does not count, and the gate stays closed' : ''}.`;
    case 'expired':
      return expiredSentence({ expiresAt: o.expiresAt }, new Date(o.at));
    case 'several-pending':
      return `Several gates are waiting (${escapeMrkdwn(o.gates.join(', '))}); name one.`;
    case 'nothing-pending':
      return `Nothing of ${release(o.run)} is waiting for approval${o.gateName ? ` at ${escapeMrkdwn(o.gateName)}` : ''}.`;
    case 'not-rollable':
      return `${release(o.run)} is ${escapeMrkdwn(o.phase)}: no traffic has moved to the canary, and Flagger does not roll back from there. Reject its gate instead.`;
    case 'dry-run-started':
      return `Previewing ${runbookName(o.runbook)} for ${release(o.run)}: every Kubernetes step runs as a server-side dry run and Flagger is not told, so nothing changes. The thread shows what each step would do.`;
    case 'runbook-started':
      return `Started ${runbookName(o.runbook)} for ${release(o.run)}; the thread shows each step as it runs.`;
    case 'runbook-confirmed':
      return `Confirmed: the runbook of ${release(o.run)} goes on from the next step.`;
    case 'unknown-runbook':
      return `No runbook named ${escapeMrkdwn(o.runbook)} is configured for ${escapeMrkdwn(o.service)} (configured: ${escapeMrkdwn(o.known.join(', '))}).`;
    case 'runbook-not-waiting':
      return o.state === 'running'
        ? `That runbook of ${release(o.run)} is already going on: someone confirmed it first.`
        : `That runbook of ${release(o.run)} is not waiting for a confirmation${o.state ? ` (it ${o.state === 'waiting' ? 'waits' : `has ${escapeMrkdwn(o.state)}`})` : ' (it no longer exists)'}.`;
  }
}
