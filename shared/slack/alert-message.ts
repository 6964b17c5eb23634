import type { KnownBlock } from '@slack/types';
import { type AlertFacts, alertKey } from '../domain/alert';
import type { ReleaseEvent } from '../domain/events';
import { runLabel } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';
import { ACTIONS, type RequestRef } from './blocks';
import { clipMrkdwn as clip, escapeMrkdwn } from './mrkdwn';
import type { ThreadReply } from './replies';
import { snapshotBlocks } from './snapshot-blocks';

/**
 * Only http(s) links become links, and only when nothing in them can end Slack's `<url|text>` token early; anything
 * else from Alertmanager is left out rather than shown half-parsed.
 */
export function safeLink(url: string | undefined, text: string): string | undefined {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url)) return undefined;
  return `<${url.replace(/&/g, '&amp;')}|${escapeMrkdwn(text)}>`;
}

/**
 * The alert in one line: name, severity, summary, link to its expression. All of it comes from outside (labels
 * and annotations anyone writing a rule controls), so all of it is escaped: a `<!channel>` summary is shown inert.
 */
export function alertLine(alert: AlertFacts): string {
  const severity = alert.severity ? ` (${escapeMrkdwn(alert.severity)})` : '';
  const parts = [`alert *${escapeMrkdwn(alert.name)}*${severity}`];
  if (alert.summary) parts.push(escapeMrkdwn(alert.summary));
  const link = safeLink(alert.generatorURL, 'source');
  if (link) parts.push(link);
  return parts.join(' · ');
}

const nameOf = (alert: AlertFacts): string =>
  `*${escapeMrkdwn(alert.name)}*${alert.severity ? ` (${escapeMrkdwn(alert.severity)})` : ''}`;

/** One reply per firing and status: repeats (`repeat_interval`) and HA twins share the key and post once. */
export const alertReplyKey = (alert: AlertFacts): string => `alert:${alertKey(alert)}:${alert.status}`;

/**
 * The thread reply of an alert event. `already-rolling-back` gets a quiet line rather than nothing: a second,
 * different alert is evidence for the rollback under way, and the same alert repeating finds its key posted.
 * Offered alerts carry Roll back and Preview rollback buttons, and the latest stored snapshot as evidence.
 */
export function alertReply(event: ReleaseEvent, snapshot?: Snapshot): ThreadReply | undefined {
  if (event.type === 'alert-resolved') {
    const since = duration(event.alert.startsAt, event.alert.endsAt);
    return {
      key: alertReplyKey(event.alert),
      text: `:white_check_mark: Alert ${nameOf(event.alert)} resolved${since ? ` after ${since}` : ''}.`,
    };
  }
  if (event.type !== 'alert-received') return undefined;
  const { alert } = event;
  const key = alertReplyKey(alert);
  const detail = detailOf(alert);
  switch (event.action) {
    case 'rolling-back':
      return { key, text: `:rotating_light: Alert ${nameOf(alert)} fired: rolling back.${detail}` };
    case 'rejected-rollout':
      return {
        key,
        text: `:rotating_light: Alert ${nameOf(alert)} fired while the release waited to start: its rollout was rejected, and Flagger sends no traffic to the canary.${detail}`,
      };
    case 'already-rolling-back':
      return {
        key,
        text: `:rotating_light: Alert ${nameOf(alert)} fired too; the rollback under way covers it.${detail}`,
      };
    case 'offered': {
      const release = escapeMrkdwn(runLabel({ service: event.service, number: event.run }));
      const text = `:rotating_light: Alert ${nameOf(alert)} fired for ${release}. Roll back?${detail}`;
      const ref: RequestRef = { s: event.service, r: event.run, g: '', a: 0 };
      const blocks: KnownBlock[] = [
        { type: 'section', text: { type: 'mrkdwn', text: clip(text) } },
        ...(snapshot ? snapshotBlocks(snapshot) : []),
        offeredActions(JSON.stringify(ref), event.service),
      ];
      return { key, text: clip(text), blocks };
    }
  }
}

function offeredActions(value: string, service: string): KnownBlock {
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.rollback,
        style: 'danger',
        text: { type: 'plain_text', text: 'Roll back', emoji: true },
        value,
        confirm: {
          title: { type: 'plain_text', text: 'Roll back?' },
          text: {
            type: 'plain_text',
            text: `All traffic goes back to the primary of ${service}, and Flagger fails this release.`.slice(0, 300),
          },
          confirm: { type: 'plain_text', text: 'Roll back' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
      {
        type: 'button',
        action_id: ACTIONS.previewRollback,
        text: { type: 'plain_text', text: 'Preview rollback', emoji: true },
        value,
      },
    ],
  };
}

function detailOf(alert: AlertFacts): string {
  const parts: string[] = [];
  if (alert.summary) parts.push(escapeMrkdwn(alert.summary));
  const link = safeLink(alert.generatorURL, 'source');
  if (link) parts.push(link);
  return parts.length ? `\n${parts.join(' · ')}` : '';
}

function duration(from: string, to: string | undefined): string | undefined {
  const ms = to ? Date.parse(to) - Date.parse(from) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
