import type { KnownBlock } from '@slack/types';
import type { MetricSnapshot, Snapshot } from '../domain/snapshot';
import {
  formatDuration,
  formatReading,
  formatSlo,
  formatSplit,
  formatUtc,
  headline,
  label,
  metricSentence,
  REASON_MAX,
  reasonOf,
} from '../domain/snapshot-text';
import { sharedScale, sparkline } from '../render/sparkline';
import { clipMrkdwn as clip, escapeMrkdwn, slackDate } from './mrkdwn';

/** A sparkline wider than this wraps on a phone. */
const SPARK_WIDTH = 12;
/** Slack cuts a longer fallback text; a notification should be far shorter anyway. */
const TEXT_MAX = 3000;

const VERDICT_ICON = {
  pass: ':white_check_mark:',
  fail: ':x:',
  'no-data': ':grey_question:',
  info: ':information_source:',
} as const;

/**
 * The metric snapshot as Block Kit, three blocks so it can be appended to another message: the verdict and traffic
 * split, one line per metric (verdict icon, canary and primary values, SLO, the canary's trend on the scale it shares
 * with the primary's), and when, over what window and from where.
 *
 *   ❌ *Error rate fails its SLO*
 *   Traffic: canary 20 % / primary 80 % (from request rate)
 *
 *   ✅ *Success rate*  canary `98.0 %`  primary `99.9 %`  SLO ≥ 99 %  `▂▃▅▇▆▅▄▃`
 *   ❔ *p95 latency*  canary *no data* (Prometheus timed out)  primary `412 ms`  SLO < 500 ms
 */
export function snapshotBlocks(snapshot: Snapshot): KnownBlock[] {
  const summary = [
    `${VERDICT_ICON[snapshot.verdict]} *${escapeMrkdwn(headline(snapshot))}*`,
    `Traffic: ${snapshot.split ? formatSplit(snapshot.split) : 'split unknown'}${splitNote(snapshot)}`,
  ];
  const rows = snapshot.metrics.length ? snapshot.metrics.map(metricLine) : ['_No metrics were queried._'];
  const context = [
    `*${escapeMrkdwn(snapshot.service)}*`,
    time(snapshot.takenAt),
    `last ${formatDuration(snapshot.window.seconds)}, ${formatDuration(snapshot.window.stepSeconds)} steps`,
    `source \`${escapeMrkdwn(snapshot.source).replace(/`/g, "'")}\``,
  ];
  return [
    { type: 'section', text: { type: 'mrkdwn', text: clip(summary.join('\n')) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(rows.join('\n')) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(context.join(' · ')) }] },
  ];
}

/** The notification and screen-reader fallback: the verdict and every number, in plain words. */
export function snapshotText(snapshot: Snapshot): string {
  const parts = [`${snapshot.service} metrics: ${headline(snapshot)}.`];
  if (snapshot.metrics.length) parts.push(`${snapshot.metrics.map(metricSentence).join('; ')}.`);
  parts.push(`Traffic: ${snapshot.split ? formatSplit(snapshot.split) : 'split unknown'}.`);
  // Slack parses the fallback like mrkdwn: `< 500 ms` must be escaped there too.
  const text = parts.join(' ');
  return escapeMrkdwn(text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text);
}

/** When the cluster could not be read, say why the split comes from request rates (RBAC, missing object...). */
const splitNote = (snapshot: Snapshot): string =>
  snapshot.splitNote ? ` · _VirtualService not read: ${escapeMrkdwn(snapshot.splitNote.slice(0, REASON_MAX))}_` : '';

function metricLine(m: MetricSnapshot): string {
  const parts = [`${VERDICT_ICON[m.verdict]} *${escapeMrkdwn(label(m.metric))}*`];
  const bothMissing = m.canary.value === null && m.primary.value === null;
  if (bothMissing && reasonOf(m.canary) === reasonOf(m.primary))
    parts.push(`canary and primary *no data* (${escapeMrkdwn(reasonOf(m.canary) ?? '')})`);
  else parts.push(`canary ${reading(m, 'canary')}`, `primary ${reading(m, 'primary')}`);
  if (m.slo) parts.push(`SLO ${escapeMrkdwn(formatSlo(m.metric, m.slo))}`);
  if (m.trend.canary.some((v) => v !== null)) {
    // With an SLO the canary is compared with the primary, so it is drawn on their shared scale; a metric without one
    // (request rate) differs by design, and only its own shape tells something.
    const scale = m.slo ? sharedScale(m.trend.canary, m.trend.primary) : undefined;
    parts.push(`\`${sparkline(m.trend.canary, { ...scale, width: SPARK_WIDTH })}\``);
  }
  return parts.join('  ');
}

function reading(m: MetricSnapshot, side: 'canary' | 'primary'): string {
  const r = m[side];
  const reason = reasonOf(r);
  if (reason === undefined) return `\`${formatReading(m.metric, r, m.slo)}\``;
  return `*no data* (${escapeMrkdwn(reason)})`;
}

const time = (iso: string): string => slackDate(iso, '{date_short_pretty} {time}', formatUtc(iso));
