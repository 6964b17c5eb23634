import type { Button, KnownBlock, SectionBlock } from '@slack/types';
import { runLabel } from '../domain/release';
import type { RunbookExecution, RunbookStep, StepResult } from '../domain/runbook';
import type { ChatMessage } from '../ports/chat';
import { alertLine } from './alert-message';
import { ACTIONS, type RunbookRef } from './blocks';
import { clipMrkdwn as clip, escapeMrkdwn, mention, SECTION_MAX } from './mrkdwn';
import type { ThreadReply } from './replies';

/** A step's detail in the thread is cut shorter than the stored one: the audit trail keeps it whole. */
const DETAIL_MAX = 300;

const STEP_ICON = {
  ok: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  'dry-run': ':mag:',
  running: ':hourglass_flowing_sand:',
  waiting: ':raising_hand:',
  pending: ':white_circle:',
} as const;
type Shown = keyof typeof STEP_ICON;

/** "43 ms", "8.2 s", "2 min 5 s": what a person reads at a glance. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The rollback runbook of the service is told as a rollback, whatever its configured name. */
const isRollback = (execution: RunbookExecution, rollbackRunbook: string): boolean =>
  execution.runbook === rollbackRunbook;

export function runbookTitle(execution: RunbookExecution, rollbackRunbook: string): string {
  const name = isRollback(execution, rollbackRunbook) ? 'rollback' : `runbook ${escapeMrkdwn(execution.runbook)}`;
  if (execution.dryRun) return `:mag: Dry run of ${name} — nothing was changed`;
  return isRollback(execution, rollbackRunbook)
    ? ':rewind: Rollback'
    : `:clipboard: Runbook ${escapeMrkdwn(execution.runbook)}`;
}

/** Who or what started it: a person as a mention, an alert by its name, severity and summary (escaped). */
export function triggerLine(execution: RunbookExecution): string {
  const { trigger } = execution;
  const reason = escapeMrkdwn(trigger.reason);
  if (trigger.cause === 'alert' && trigger.alert) return `Triggered by ${alertLine(trigger.alert)}`;
  if (trigger.cause === 'alert') return `Triggered by an alert: ${reason}`;
  if (trigger.cause === 'rejection') return `Started by ${mention(trigger.by)}'s rejection: ${reason}`;
  return `Asked by ${mention(trigger.by)}: ${reason}`;
}

const stepName = (step: RunbookStep | undefined, index: number): string =>
  step?.name ? escapeMrkdwn(step.name) : `\`${step?.kind ?? `step ${index + 1}`}\``;

/** The result of each step, the last one recorded when a step was retried after a crash. */
const resultOf = (execution: RunbookExecution, index: number): StepResult | undefined =>
  execution.results.filter((r) => r.index === index).at(-1);

function shownStatus(execution: RunbookExecution, index: number, result: StepResult | undefined): Shown {
  if (result) return result.status;
  if (index !== execution.next) return 'pending';
  if (execution.state === 'waiting') return 'waiting';
  return execution.state === 'running' ? 'running' : 'pending';
}

function stepLine(execution: RunbookExecution, step: RunbookStep, index: number): string {
  const result = resultOf(execution, index);
  const status = shownStatus(execution, index, result);
  const parts = [`${STEP_ICON[status]} ${index + 1}. ${stepName(step, index)}`];
  if (result) parts.push(`_${formatMs(result.durationMs)}_`);
  if (result?.detail) parts.push(escapeMrkdwn(cut(result.detail, DETAIL_MAX)));
  if (status === 'waiting' && step.kind === 'confirm') parts.push(`*${escapeMrkdwn(step.prompt)}*`);
  return parts.join(' · ');
}

const STATE_TEXT = {
  running: 'running',
  waiting: 'waiting for a confirmation',
  succeeded: 'finished',
  failed: 'failed',
} as const;

/**
 * One message per execution, edited in place as it moves: its title, who or what triggered it, a line per step
 * (status, name, duration, detail), the total time once ended, and a Confirm button while it waits for a person.
 */
export function runbookMessage(execution: RunbookExecution, rollbackRunbook: string): ChatMessage {
  const title = runbookTitle(execution, rollbackRunbook);
  const release = escapeMrkdwn(runLabel({ service: execution.service, number: execution.run }));
  const head = [`*${title}* · ${release}`, triggerLine(execution)];
  const blocks: KnownBlock[] = [section(head.join('\n'))];
  for (const chunk of chunks(execution.steps.map((step, i) => stepLine(execution, step, i)))) {
    blocks.push(section(chunk));
  }
  const context = [`${STATE_TEXT[execution.state]}`, `execution \`${escapeMrkdwn(execution.id)}\``];
  if (execution.endedAt) context.unshift(`total ${formatMs(elapsed(execution))}`);
  if (execution.dryRun) context.push('Kubernetes steps ran as server-side dry runs');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · ')) }] });
  const step = execution.steps[execution.next];
  if (execution.state === 'waiting' && step?.kind === 'confirm') blocks.push(confirmActions(execution, step.prompt));
  const plainTitle = title.replace(/^:[a-z_]+: /, '');
  const at = execution.state === 'waiting' ? `, waiting at step ${execution.next + 1}` : '';
  return { text: clip(`${plainTitle} (${release}): ${STATE_TEXT[execution.state]}${at}`), blocks };
}

function confirmActions(execution: RunbookExecution, prompt: string): KnownBlock {
  const ref: RunbookRef = { s: execution.service, r: execution.run, e: execution.id };
  const button: Button = {
    type: 'button',
    action_id: ACTIONS.confirmRunbook,
    style: 'primary',
    text: { type: 'plain_text', text: 'Confirm', emoji: true },
    value: JSON.stringify(ref),
    confirm: {
      title: { type: 'plain_text', text: 'Go on?' },
      // Confirm dialogs allow 300 characters; the prompt is plain text here (Slack does not parse it).
      text: { type: 'plain_text', text: prompt.slice(0, 300) },
      confirm: { type: 'plain_text', text: 'Confirm' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  };
  return { type: 'actions', elements: [button] };
}

/**
 * The short reply at the end: how long it took and what it left (traffic on the primary, the canary Failed), or
 * where it failed and why. Keyed by execution, so a redelivered end posts once.
 */
export function runbookEndReply(execution: RunbookExecution, rollbackRunbook: string): ThreadReply | undefined {
  if (execution.state !== 'succeeded' && execution.state !== 'failed') return undefined;
  const key = `runbook-end:${execution.id}`;
  const rollback = isRollback(execution, rollbackRunbook);
  const name = execution.dryRun
    ? `Dry run of ${rollback ? 'rollback' : `runbook ${escapeMrkdwn(execution.runbook)}`}`
    : rollback
      ? 'Rollback'
      : `Runbook ${escapeMrkdwn(execution.runbook)}`;
  const total = formatMs(elapsed(execution));
  if (execution.state === 'failed') {
    const failed = execution.results.filter((r) => r.status === 'failed').at(-1);
    const where = failed ? ` at step ${failed.index + 1}: ${escapeMrkdwn(cut(failed.detail, DETAIL_MAX))}` : '';
    return { key, text: `:x: ${name} failed${where} (after ${total}).` };
  }
  const facts = execution.dryRun ? ['nothing was changed'] : effects(execution);
  const skipped = execution.results.filter((r) => r.status === 'skipped').length;
  if (skipped) facts.push(`${skipped} step${skipped === 1 ? '' : 's'} skipped`);
  const icon = execution.dryRun ? ':mag:' : ':white_check_mark:';
  return { key, text: `${icon} ${name} finished in ${total}${facts.length ? `: ${facts.join(', ')}` : ''}.` };
}

/** What the steps that ran changed or saw, in a few words. */
function effects(execution: RunbookExecution): string[] {
  const facts: string[] = [];
  for (const result of execution.results) {
    if (result.status !== 'ok') continue;
    const step = execution.steps[result.index];
    if (step?.kind === 'set-weights')
      facts.push(step.primary === 100 ? 'traffic on the primary' : `traffic ${step.primary}/${step.canary}`);
    if (step?.kind === 'wait' && step.until.condition === 'canary-phase') facts.push(`canary ${step.until.phase}`);
  }
  return facts;
}

const elapsed = (execution: RunbookExecution): number =>
  execution.endedAt ? Date.parse(execution.endedAt) - Date.parse(execution.startedAt) : 0;
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const section = (mrkdwn: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn) } });

/** Step lines grouped into sections of at most Slack's 3000 characters, never splitting a line. */
function chunks(lines: string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    const next = current ? `${current}\n${line}` : line;
    if (next.length > SECTION_MAX && current) {
      out.push(current);
      current = line;
    } else current = next;
  }
  if (current) out.push(current);
  return out;
}
