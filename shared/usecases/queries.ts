import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import { approvalCount } from '../domain/gate';
import { runLabel } from '../domain/release';
import { channelMention, clipMrkdwn, escapeMrkdwn, mention, SECTION_MAX } from '../slack/mrkdwn';
import { currentRun } from './current-run';
import type { Deps } from './deps';

/**
 * The answers of `/canary list`, `status` and `history`, as mrkdwn. Names, reasons, actors and audit details
 * come from people and from Flagger: each is escaped (users through `mention`) where it is put into a line.
 */

export async function listServices(deps: Deps): Promise<string> {
  const lines = await Promise.all(
    [...deps.config.services.values()].map(async (policy) => {
      const run = await currentRun(deps.store, policy.service);
      const state = run ? `#${run.number} ${run.outcome ?? run.phase}, weight ${run.weight}%` : 'no release yet';
      return `• *${escapeMrkdwn(policy.service)}* (${channelMention(policy.channel)}): ${escapeMrkdwn(state)}`;
    }),
  );
  return lines.length ? fitSection(lines) : 'No services are configured.';
}

export async function status(deps: Deps, service: ServiceId): Promise<string> {
  if (!deps.config.services.has(service)) return `${escapeMrkdwn(service)} is not configured in release-bot.`;
  const [record, run] = await Promise.all([deps.store.getService(service), currentRun(deps.store, service)]);
  if (!run) return `No release of ${escapeMrkdwn(service)} has been seen yet.`;
  const gates = await deps.store.listGates(service, run.number);
  const lines = [
    `*${escapeMrkdwn(runLabel(run))}*: ${escapeMrkdwn(run.outcome ?? run.phase)}, canary weight ${run.weight}%`,
  ];
  for (const g of gates) lines.push(`• ${escapeMrkdwn(g.key)}: ${g.status} (${approvalCount(g)}/${g.quorum})`);
  if (record?.paused)
    lines.push(`Paused by ${mention(record.paused.by)}: ${escapeMrkdwn(shorten(record.paused.reason, REASON_SHOWN))}`);
  if (run.rollback) lines.push(`Rollback requested by ${mention(run.rollback.by)}`);
  return fitSection(lines);
}

/** How many of each slice `/canary history` reads: bounded, so a flood of attempts costs a bounded read. */
export const HISTORY = { runs: 5, decisions: 10, attempts: 500, groups: 8 } as const;
/** An audit detail or reason is cut to this in a line; the audit trail keeps the whole text. */
const REASON_SHOWN = 150;

/**
 * The releases, then the decisions that took effect (and Flagger's facts), then the refused and repeated attempts
 * grouped per actor, action, outcome and detail. Decisions and attempts are read from separate slices of the
 * trail, so no number of refused clicks can push an accepted approval out of the answer.
 */
export async function history(deps: Deps, service: ServiceId): Promise<string> {
  if (!deps.config.services.has(service)) return `${escapeMrkdwn(service)} is not configured in release-bot.`;
  const [runs, decisions, attempts] = await Promise.all([
    deps.store.listRuns(service, HISTORY.runs),
    deps.store.listAudit(service, HISTORY.decisions, 'accepted'),
    deps.store.listAudit(service, HISTORY.attempts, 'attempts'),
  ]);
  const runLines = runs.map(
    (r) => `• #${r.number} ${escapeMrkdwn(r.outcome ?? r.phase)} (started ${escapeMrkdwn(minute(r.startedAt))} UTC)`,
  );
  const groups = groupAttempts(attempts);
  const read = attempts.length >= HISTORY.attempts ? ` (the newest ${HISTORY.attempts} attempts)` : '';
  const groupLines = groups.slice(0, HISTORY.groups).map(groupLine);
  if (groups.length > HISTORY.groups) groupLines.push(`• …and ${groups.length - HISTORY.groups} more groups`);
  return fitSection(
    [`*Releases of ${escapeMrkdwn(service)}*`, ...(runLines.length ? runLines : ['• none yet'])],
    [
      '*Decisions and release events (newest first)*',
      ...(decisions.length ? decisions.map(decisionLine) : ['• none yet']),
    ],
    groups.length ? [`*Refused and repeated attempts, grouped${read}*`, ...groupLines] : [],
  );
}

/** Attempts with the same actor, action, outcome and detail: one line however many times it was tried. */
export interface AttemptGroup {
  actor: string;
  action: AuditEntry['action'];
  outcome: AuditEntry['outcome'];
  detail: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

/** Groups refused and duplicate attempts; the most recently tried group first. Pure. */
export function groupAttempts(entries: readonly AuditEntry[]): AttemptGroup[] {
  const groups = new Map<string, AttemptGroup>();
  for (const e of entries) {
    if (e.outcome === 'accepted') continue;
    const key = JSON.stringify([e.actor, e.action, e.outcome, e.detail]);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { ...pick(e), count: 1, firstAt: e.at, lastAt: e.at });
      continue;
    }
    group.count += 1;
    if (e.at < group.firstAt) group.firstAt = e.at;
    if (e.at > group.lastAt) group.lastAt = e.at;
  }
  return [...groups.values()].sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0));
}

const pick = ({ actor, action, outcome, detail }: AuditEntry) => ({ actor, action, outcome, detail });

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
 * A stored detail as text. Some details quote a sentence that was mrkdwn when it was told (`approvers: <@U…>`);
 * their mentions are shown as `@U…` text, and everything is escaped, so no detail can mention or link anyone.
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
