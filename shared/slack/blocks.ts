import { approvalCount, type Gate, gateTitle } from '../domain/gate';
import type { ServicePolicy } from '../domain/policy';
import { type Run, runLabel } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';
import type { ChatMessage } from '../ports/chat';
import type { ServiceRecord } from '../ports/store';
import { headline } from '../render/format';
import { snapshotBlocks } from './snapshot-blocks';

/** What a Slack button carries back to us: which request of which run it answers. */
export interface RequestRef {
  s: string;
  r: number;
  g: string;
  a: number;
}

export const ACTIONS = { approve: 'release_approve', reject: 'release_reject', rollback: 'release_rollback' } as const;
export const REJECT_VIEW = 'release_reject_reason';

const OUTCOME_ICON = {
  succeeded: ':large_green_circle:',
  failed: ':red_circle:',
  superseded: ':white_circle:',
} as const;

/** The one message per release that is edited in place: phase, weight on the rollout timeline, gates, recent events. */
export function statusMessage(
  policy: ServicePolicy,
  run: Run,
  gates: Gate[],
  service?: ServiceRecord,
  snapshot?: Snapshot,
): ChatMessage {
  const phase = run.state === 'awaiting-start' ? 'Starting' : run.phase;
  const state = run.outcome
    ? `${OUTCOME_ICON[run.outcome]} ${capitalize(run.outcome)}`
    : `:large_blue_circle: ${phase}`;
  const lines = [
    `*${runLabel(run)}* · ${state}`,
    // After a promotion the primary runs the new revision and takes all traffic; the canary is scaled to zero.
    `${run.outcome === 'succeeded' ? 'All traffic on the promoted primary' : `Canary weight ${run.weight}%`}  ${weightBar(policy, run)}`,
    ...gates.map(gateLine),
  ];
  if (service?.paused && run.state !== 'ended')
    lines.push(`:double_vertical_bar: Paused by <@${service.paused.by}>: ${service.paused.reason}`);
  if (run.rollback) lines.push(`:rewind: Rollback requested by <@${run.rollback.by}>: ${run.rollback.reason}`);
  const recent = run.timeline.slice(-6).map((e) => `${e.warning ? ':warning: ' : ''}${time(e.at)} ${e.text}`);
  const context = [
    run.checksum ? `revision \`${run.checksum.slice(0, 12)}\`` : 'waiting to start',
    `started ${time(run.startedAt)}`,
  ];
  if (run.deployedBy) context.push(`deployed by <@${run.deployedBy}>`);
  const metrics = snapshot ? `; ${headline(snapshot)}` : '';
  return {
    text: `${runLabel(run)}: ${run.outcome ?? phase}, canary weight ${run.weight}%${metrics}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } },
      ...(snapshot ? snapshotBlocks(snapshot) : []),
      ...(recent.length ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(recent.join('\n')) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · ')) }] },
    ],
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
  const title = `${capitalize(gateTitle(gate))} for ${runLabel(run)}`;
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
          : `:no_entry: Rejected by <@${gate.rejection?.by}>: ${gate.rejection?.reason}`;
  const ref: RequestRef = { s: run.service, r: run.number, g: gate.key, a: attempt };
  const value = JSON.stringify(ref);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*${title}*\n${status}`) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(`${gate.evidence} · ${approversText(policy)}`) }] },
  ];
  if (!stale && !closed && gate.status === 'pending') {
    blocks.push({
      type: 'actions',
      elements: [
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
      ],
    });
  }
  // The numbers go between the request and its buttons: read them before you click.
  if (snapshot) blocks.splice(2, 0, ...snapshotBlocks(snapshot));
  const metrics = snapshot ? ` (${headline(snapshot)})` : '';
  return { text: `${title}: ${status.replace(/^:[a-z_]+: /, '')}${metrics}`, blocks };
}

/** Shown by `/canary rollback`: nothing happens until the person confirms. */
export function rollbackConfirmation(run: Run): ChatMessage {
  const ref: RequestRef = { s: run.service, r: run.number, g: '', a: 0 };
  return {
    text: `Roll back ${runLabel(run)}?`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `Roll back *${runLabel(run)}* (${run.phase}, canary weight ${run.weight}%)?` },
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
        ],
      },
    ],
  };
}

export function rejectReasonView(ref: RequestRef): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify(ref),
    title: plain('Reject release'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Reject *${ref.s}* release #${ref.r} at \`${ref.g}\`?` } },
      {
        type: 'input',
        block_id: 'reason',
        label: plain('Reason (goes to the thread and the audit trail)'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 },
      },
    ],
  };
}

function weightBar(policy: ServicePolicy, run: Run): string {
  const steps: number[] = [];
  for (let w = policy.analysis.stepWeight; w < policy.analysis.maxWeight; w += policy.analysis.stepWeight)
    steps.push(w);
  steps.push(policy.analysis.maxWeight);
  const done = run.outcome === 'succeeded';
  const marks = steps.map((w) => (done || run.weight >= w ? `*${w}*` : `${w}`));
  return `0 → ${marks.join(' → ')} → ${done ? '*100*' : '100'}`;
}

function gateLine(gate: Gate): string {
  const icon = { pending: ':raising_hand:', approved: ':white_check_mark:', rejected: ':no_entry:' }[gate.status];
  const who =
    gate.status === 'approved'
      ? ` by ${mentions(gate)}`
      : gate.status === 'rejected'
        ? ` by <@${gate.rejection?.by}>`
        : ` (${approvalCount(gate)}/${gate.quorum})`;
  return `${icon} ${capitalize(gateTitle(gate))}: ${gate.status}${who}`;
}

const approversText = (policy: ServicePolicy): string =>
  `approvers: ${[...policy.approvers.users.map((u) => `<@${u}>`), ...policy.approvers.groups.map((g) => `<!subteam^${g}>`)].join(' ')}` +
  (policy.quorum > 1 ? ` (${policy.quorum} needed)` : '');
const mentions = (gate: Gate): string =>
  Object.keys(gate.approvals)
    .map((u) => `<@${u}>`)
    .join(', ');
const plain = (text: string) => ({ type: 'plain_text', text, emoji: true });
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** Slack shows each reader's local time for this syntax; the fallback is UTC. */
const time = (iso: string): string => `<!date^${Math.floor(Date.parse(iso) / 1000)}^{time}|${iso.slice(11, 16)} UTC>`;
/** Section text is limited to 3000 characters. */
const clip = (text: string): string => (text.length > 3000 ? `${text.slice(0, 2990)}…` : text);
