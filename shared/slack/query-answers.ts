import type { AuditEntry } from '../domain/audit';
import { runLabel } from '../domain/release';
import type { AttemptGroup, HistoryView, ServiceListView, StatusView } from '../domain/views';
import { channelMention, clipMrkdwn, escapeMrkdwn, mention, SECTION_MAX } from './mrkdwn';
import { stateAndTraffic } from './release-state';

/**
 * The answers of `/canary list`, `status` and `history`, as mrkdwn, from the queries' views. Names, reasons, actors
 * and audit details come from people and from Flagger: each is escaped (users through `mention`) where it is put
 * into a line.
 */

export function listText(view: ServiceListView): string {
  const lines = view.services.map(({ service, channel, run }) => {
    const state = run ? `#${run.number} ${stateAndTraffic(run.state, run.weight)}` : 'no release yet';
    return `• *${escapeMrkdwn(service)}* (${channelMention(channel)}): ${escapeMrkdwn(state)}`;
  });
  return lines.length ? fitSection(lines) : 'No services are configured.';
}

export function statusText(view: StatusView): string {
  if (view.code !== 'current') {
    return view.code === 'not-configured'
      ? `${escapeMrkdwn(view.service)} is not configured in release-bot.`
      : `No release of ${escapeMrkdwn(view.service)} has been seen yet.`;
  }
  const lines = [`*${escapeMrkdwn(runLabel(view.run))}*: ${escapeMrkdwn(stateAndTraffic(view.state, view.weight))}`];
  for (const g of view.gates) lines.push(`• ${escapeMrkdwn(g.key)}: ${g.status} (${g.count}/${g.quorum})`);
  if (view.paused)
    lines.push(`Paused by ${mention(view.paused.by)}: ${escapeMrkdwn(shorten(view.paused.reason, REASON_SHOWN))}`);
  if (view.rollbackBy) lines.push(`Rollback requested by ${mention(view.rollbackBy)}`);
  return fitSection(lines);
}

/** Attempt groups shown; the rest are counted. */
const GROUPS_SHOWN = 8;
/** An audit detail or reason is cut to this in a line; the audit trail keeps the whole text. */
const REASON_SHOWN = 150;

export function historyText(view: HistoryView): string {
  if (view.code === 'not-configured') return `${escapeMrkdwn(view.service)} is not configured in release-bot.`;
  const runLines = view.runs.map(
    (r) => `• #${r.number} ${escapeMrkdwn(r.state)} (started ${escapeMrkdwn(minute(r.startedAt))} UTC)`,
  );
  const groups = view.attempts;
  const read = view.attemptsRead ? ` (the newest ${view.attemptsRead} attempts)` : '';
  const groupLines = groups.slice(0, GROUPS_SHOWN).map(groupLine);
  if (groups.length > GROUPS_SHOWN) groupLines.push(`• …and ${groups.length - GROUPS_SHOWN} more groups`);
  return fitSection(
    [`*Releases of ${escapeMrkdwn(view.service)}*`, ...(runLines.length ? runLines : ['• none yet'])],
    [
      '*Decisions and release events (newest first)*',
      ...(view.decisions.length ? view.decisions.map(decisionLine) : ['• none yet']),
    ],
    groups.length ? [`*Refused and repeated attempts, grouped${read}*`, ...groupLines] : [],
  );
}

function decisionLine(a: AuditEntry): string {
  const what = `${a.action}${a.gate ? ` ${a.gate}` : ''}${a.run ? ` #${a.run}` : ''}`;
  return `• ${escapeMrkdwn(second(a.at))} ${mention(a.actor)} ${escapeMrkdwn(what)}: ${a.outcome}, ${detailOf(a.detail)}`;
}

export function groupLine(g: AttemptGroup): string {
  const times = g.count === 1 ? 'once' : `${g.count} times`;
  const when = g.count === 1 ? `at ${second(g.lastAt)}` : `from ${second(g.firstAt)} to ${second(g.lastAt)}`;
  return `• ${mention(g.actor)} tried to ${escapeMrkdwn(g.action)} ${times} (${escapeMrkdwn(when)}): ${g.outcome}, ${detailOf(g.detail)}`;
}

/**
 * A stored detail as text. Details recorded before decisions returned outcomes quote a sentence that was mrkdwn
 * when it was told (`approvers: <@U…>`); their mentions are shown as `@U…` text, and everything is escaped, so no
 * detail can mention or link anyone.
 */
const detailOf = (detail: string): string =>
  escapeMrkdwn(shorten(detail.replace(/<[@!](?:subteam\^)?([A-Z0-9]+)>/g, '@$1'), REASON_SHOWN));
const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const second = (iso: string): string => `${iso.slice(0, 19).replace('T', ' ')}`;
const minute = (iso: string): string => iso.slice(0, 16).replace('T', ' ');

/**
 * Joins sections of lines within one Slack section's 3000 characters. When they do not fit, lines are dropped from
 * the end of the last section first (the oldest attempt groups, then the oldest decisions), and the answer says how
 * many; a section's heading is kept.
 */
export function fitSection(...sections: string[][]): string {
  const kept = sections.map((lines) => [...lines]);
  let dropped = 0;
  const text = () => {
    const body = kept.flat().join('\n');
    return dropped ? `${body}\n_…${dropped} more lines not shown; the audit trail keeps them all._` : body;
  };
  while (text().length > SECTION_MAX) {
    const section = [...kept].reverse().find((lines) => lines.length > 1);
    if (!section) return clipMrkdwn(text());
    section.pop();
    dropped += 1;
  }
  return text();
}
