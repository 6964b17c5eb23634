import type { ActionsBlock, Button, KnownBlock, ModalView, PlainTextElement, SectionBlock } from '@slack/types';
import { approvalCount, type Gate, gateTitle } from '../domain/gate';
import { analysisOf, type ServicePolicy } from '../domain/policy';
import { type Run, runLabel } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';
import { headline } from '../domain/snapshot-text';
import { STRATEGY_NAMES, strategyOf, weightSteps } from '../domain/strategy';
import type { ChatMessage } from '../ports/chat';
import type { ServiceRecord } from '../ports/store';
import { clipMrkdwn as clip, code, escapeMrkdwn, groupMention, mention, mentionList, slackDate } from './mrkdwn';
import { stateAndTraffic, stateLabel, trafficLabel } from './release-state';
import { snapshotBlocks } from './snapshot-blocks';

/** What a Slack button carries back to us: which request of which run it answers. */
export interface RequestRef {
  s: string;
  r: number;
  g: string;
  a: number;
}

export const ACTIONS = {
  approve: 'release_approve',
  reject: 'release_reject',
  rollback: 'release_rollback',
  /** Runs the service's rollback runbook as a dry run; the value is a RequestRef like Roll back's. */
  previewRollback: 'release_rollback_preview',
  /** Confirms the step a runbook waits at; the value is a RunbookRef. */
  confirmRunbook: 'release_runbook_confirm',
} as const;

/** What a Confirm button carries back: the service, the run and the execution it confirms. */
export interface RunbookRef {
  s: string;
  r: number;
  e: string;
}
export const REJECT_VIEW = 'release_reject_reason';

const OUTCOME_ICON = {
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
  superseded: ':white_circle:',
} as const;

/**
 * The one message per release that is edited in place: phase, weight on the rollout timeline, gates, recent events.
 * Everything that came from Flagger or from people (event texts, reasons, the deployer, the revision) is escaped
 * here, where it becomes mrkdwn; user IDs become mentions only through `mention`.
 */
export function statusMessage(
  policy: ServicePolicy,
  run: Run,
  gates: Gate[],
  service?: ServiceRecord,
  snapshot?: Snapshot,
): ChatMessage {
  const phase = escapeMrkdwn(run.state === 'awaiting-start' ? 'Starting' : stateLabel(run.phase));
  const state = run.outcome
    ? `${OUTCOME_ICON[run.outcome]} ${capitalize(run.outcome)}`
    : `:large_blue_circle: ${phase}`;
  const lines = [
    `*${releaseOf(run)}* · ${state}`,
    // After a promotion the primary runs the new revision and takes all traffic; the canary is scaled to zero.
    `${stateLabel(trafficLabel(run.outcome ?? run.phase, run.weight))}  ${progressLine(policy, run)}`,
    ...gates.map(gateLine),
  ];
  if (service?.paused && run.state !== 'ended')
    lines.push(`:double_vertical_bar: Paused by ${mention(service.paused.by)}: ${escapeMrkdwn(service.paused.reason)}`);
  if (run.rollback)
    lines.push(
      `:rewind: Rollback requested by ${run.rollback.by === 'alertmanager' ? 'an alert' : mention(run.rollback.by)}: ${escapeMrkdwn(run.rollback.reason)}`,
    );
  const recent = run.timeline
    .slice(-6)
    .map((e) => `${e.warning ? ':warning: ' : ''}${time(e.at)} ${escapeMrkdwn(e.text)}`);
  const context = [
    run.checksum ? `revision ${code(run.checksum.slice(0, 12))}` : 'waiting to start',
    `started ${time(run.startedAt)}`,
  ];
  if (run.deployedBy) context.push(`deployed by ${mention(run.deployedBy)}`);
  const { interval, threshold } = analysisOf(policy, run);
  // How soon Flagger acts: what a person deciding at 2 a.m. wants to know about "at its next check".
  if (interval) context.push(`Flagger checks every ${interval}`);
  if (threshold) context.push(`rolls back after ${threshold} failed checks`);
  const metrics = snapshot ? `; ${escapeMrkdwn(headline(snapshot))}` : '';
  const blocks: KnownBlock[] = [section(lines.join('\n')), ...(snapshot ? snapshotBlocks(snapshot) : [])];
  if (recent.length) blocks.push(section(recent.join('\n')));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · ')) }] });
  return {
    // Slack parses the notification text like mrkdwn, so it is escaped just like the blocks.
    text: clip(`${releaseOf(run)}: ${escapeMrkdwn(stateAndTraffic(run.outcome ?? run.phase, run.weight))}${metrics}`),
    blocks,
  };
}

/** An approval request; once decided or expired, the same message loses its buttons and says what happened. */
export function approvalRequest(
  policy: ServicePolicy,
  run: Run,
  gate: Gate,
  attempt: number,
  snapshot?: Snapshot,
): ChatMessage {
  const title = `${capitalize(gateTitle(gate))} for ${releaseOf(run)}`;
  const stale = attempt < gate.attempt;
  const closed = gate.status === 'pending' && run.state === 'ended';
  const status = stale
    ? ':hourglass: Expired without enough approvals'
    : closed
      ? `:white_circle: Closed without a decision: the release ${run.outcome === 'superseded' ? 'was superseded' : 'ended'}`
      : gate.status === 'pending'
        ? `:raising_hand: Waiting for approval: ${approvalCount(gate)}/${gate.quorum} · expires ${time(gate.expiresAt)}`
        : gate.status === 'approved'
          ? `:white_check_mark: Approved by ${mentions(gate)}`
          : `:no_entry: Rejected by ${rejecter(gate)}: ${escapeMrkdwn(gate.rejection?.reason ?? 'no reason given')}`;
  const ref: RequestRef = { s: run.service, r: run.number, g: gate.key, a: attempt };
  const value = JSON.stringify(ref);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*${title}*\n${status}`) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: clip(`${escapeMrkdwn(gate.evidence)} · ${approversText(policy)}`) }],
    },
  ];
  if (!stale && !closed && gate.status === 'pending') {
    const buttons: Button[] = [
      { type: 'button', action_id: ACTIONS.approve, style: 'primary', text: plain('Approve'), value },
      { type: 'button', action_id: ACTIONS.reject, style: 'danger', text: plain('Reject'), value },
      {
        type: 'button',
        action_id: ACTIONS.rollback,
        text: plain('Roll back'),
        value,
        confirm: {
          title: plain('Roll back?'),
          text: plain(
            // Confirm dialogs allow 300 characters.
            `Flagger will send all traffic back to the primary of ${run.service} and mark this release failed.`.slice(
              0,
              300,
            ),
          ),
          confirm: plain('Roll back'),
          deny: plain('Cancel'),
          style: 'danger',
        },
      },
    ];
    const actions: ActionsBlock = { type: 'actions', elements: buttons };
    blocks.push(actions);
  }
  // The numbers go between the request and its buttons: read them before you click.
  if (snapshot) blocks.splice(2, 0, ...snapshotBlocks(snapshot));
  const metrics = snapshot ? ` (${escapeMrkdwn(headline(snapshot))})` : '';
  return { text: clip(`${title}: ${status.replace(/^:[a-z_]+: /, '')}${metrics}`), blocks };
}

/** A modal that only says something, with a Close button. */
export const resultView = (title: string, text: string): ModalView => ({
  type: 'modal',
  title: plain(title),
  close: plain('Close'),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text) } }],
});

/** Shown by `/canary rollback`: nothing happens until the person confirms. */
export function rollbackConfirmation(run: Run): ChatMessage {
  const ref: RequestRef = { s: run.service, r: run.number, g: '', a: 0 };
  return {
    text: `Roll back ${releaseOf(run)}?`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Roll back *${releaseOf(run)}* (${escapeMrkdwn(run.phase)}, canary weight ${run.weight}%)?`,
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTIONS.rollback,
            style: 'danger',
            text: plain('Yes, roll back'),
            value: JSON.stringify(ref),
            confirm: {
              title: plain('Roll back?'),
              text: plain('All traffic goes back to the primary.'),
              confirm: plain('Roll back'),
              deny: plain('Cancel'),
            },
          },
          // Not sure? See every step first; a preview changes nothing.
          {
            type: 'button',
            action_id: ACTIONS.previewRollback,
            text: plain('Preview rollback'),
            value: JSON.stringify(ref),
          },
        ],
      },
    ],
  };
}

export function rejectReasonView(ref: RequestRef): ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify(ref),
    title: plain('Reject release'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      // The ref comes back from Slack in a button value: shown escaped like any other outside text.
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(`Reject *${escapeMrkdwn(ref.s)}* release #${ref.r} at ${code(ref.g)}?`) },
      },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Reason (goes to the thread and the audit trail)'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 },
      },
    ],
  };
}

/** Where the release is on its way: the weight steps of a weighted canary, or the iteration of blue-green and A/B. */
function progressLine(policy: ServicePolicy, run: Run): string {
  const analysis = analysisOf(policy, run);
  const strategy = strategyOf(analysis);
  const done = run.outcome === 'succeeded';
  if (strategy !== 'canary') {
    const of = run.iteration?.of ?? analysis.iterations ?? 0;
    const reached = done ? of : (run.iteration?.done ?? 0);
    return `${capitalize(STRATEGY_NAMES[strategy])} · iteration ${reached}/${of}`;
  }
  const marks = weightSteps(analysis).map((w) => (done || run.weight >= w ? `*${w}*` : `${w}`));
  return `0 → ${marks.join(' → ')} → ${done ? '*100*' : '100'}`;
}

function gateLine(gate: Gate): string {
  const icon = { pending: ':raising_hand:', approved: ':white_check_mark:', rejected: ':no_entry:' }[gate.status];
  const who =
    gate.status === 'approved'
      ? ` by ${mentions(gate)}`
      : gate.status === 'rejected'
        ? ` by ${rejecter(gate)}`
        : ` (${approvalCount(gate)}/${gate.quorum})`;
  // When, not whom: the thread reply made the mentions; an edited status message must not notify anyone again.
  const escalated =
    gate.status === 'pending' && gate.escalation?.attempt === gate.attempt
      ? ` · escalated ${time(gate.escalation.at)}`
      : '';
  return `${icon} ${capitalize(gateTitle(gate))}: ${gate.status}${who}${escalated}`;
}

const approversText = (policy: ServicePolicy): string =>
  `approvers: ${[...policy.approvers.users.map(mention), ...policy.approvers.groups.map(groupMention)].join(' ')}` +
  (policy.quorum > 1 ? ` (${policy.quorum} needed)` : '');
const mentions = (gate: Gate): string => mentionList(Object.keys(gate.approvals));
const rejecter = (gate: Gate): string => mention(gate.rejection?.by ?? 'someone');
/** The release as mrkdwn: its service name is escaped like any name. */
const releaseOf = (run: Run): string => escapeMrkdwn(runLabel(run));
const section = (mrkdwn: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn) } });
const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const time = (iso: string): string => slackDate(iso, '{time}', `${iso.slice(11, 16)} UTC`);
