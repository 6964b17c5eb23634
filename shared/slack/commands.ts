import type { BotConfig } from '../config/load';
import type { ServiceId } from '../domain/flagger';
import { code } from './mrkdwn';

/** Slack reads `<namespace/name>` as a link even in code: the placeholders are escaped. */
export const HELP = [
  '*`/canary` commands*',
  '`/canary list`: configured services and their current release',
  '`/canary status &lt;namespace/name&gt;`: the current release, its gates and approvals',
  '`/canary snapshot &lt;namespace/name&gt;`: canary vs primary against the SLOs, from Prometheus, now',
  "`/canary doctor &lt;namespace/name&gt;`: checks the Canary's webhooks and the mesh Flagger made against the config",
  '`/canary approve &lt;namespace/name&gt; [gate]`: approve what is waiting (name the gate when several are)',
  '`/canary reject &lt;namespace/name&gt; [reason]`: reject what is waiting; a running canary is rolled back',
  '`/canary rollback &lt;namespace/name&gt;`: roll the running canary back (asks you to confirm)',
  '`/canary rollback &lt;namespace/name&gt; --dry-run`: preview the rollback runbook: every step shown, nothing changed',
  '`/canary runbook &lt;namespace/name&gt; &lt;runbook&gt; [--dry-run]`: run a configured runbook (a diagnosis, say) for the current release',
  '`/canary pause &lt;namespace/name&gt; [reason]` / `/canary resume &lt;namespace/name&gt;`: hold the traffic weight',
  '`/canary history &lt;namespace/name&gt;`: recent releases and the audit trail',
  'A service can be named by its Canary name alone when that is unambiguous.',
].join('\n');

export type Command =
  | { verb: 'help' | 'list' }
  | { verb: 'status' | 'history' | 'resume' | 'snapshot' | 'doctor'; service: ServiceId }
  | { verb: 'rollback'; service: ServiceId; dryRun: boolean }
  | { verb: 'runbook'; service: ServiceId; runbook: string; dryRun: boolean }
  | { verb: 'approve'; service: ServiceId; gate?: string }
  | { verb: 'reject' | 'pause'; service: ServiceId; reason: string };

const NEEDS_SERVICE = [
  'status',
  'snapshot',
  'doctor',
  'history',
  'rollback',
  'runbook',
  'resume',
  'approve',
  'reject',
  'pause',
] as const;

/** Every subcommand `/canary` understands (the Slack manifest's usage hint lists each; test/slack/manifest.test.ts). */
export const SUBCOMMANDS = ['help', 'list', ...NEEDS_SERVICE] as const;

const DRY_RUN = '--dry-run';

/** Parses the text after `/canary`; an error is a sentence to show the person, as mrkdwn: what they typed is escaped. */
export function parseCommand(text: string, config: BotConfig): Command | { error: string } {
  const [verb = 'help', target, ...rest] = text.trim().split(/\s+/).filter(Boolean);
  if (verb === 'help' || verb === 'list') return { verb };
  if (!(NEEDS_SERVICE as readonly string[]).includes(verb)) {
    return { error: `I don't know ${code(verb)}. Try \`/canary help\`.` };
  }
  if (!target) return { error: `Which service? For example \`/canary ${verb} ${firstService(config)}\`.` };
  const service = resolveService(target, config);
  if ('error' in service) return service;
  const id = service.id;
  switch (verb) {
    case 'approve':
      return rest[0] ? { verb, service: id, gate: rest[0] } : { verb, service: id };
    case 'reject':
    case 'pause':
      return { verb, service: id, reason: rest.join(' ') };
    case 'rollback': {
      const extra = rest.filter((word) => word !== DRY_RUN);
      if (extra[0]) return { error: `I don't know ${code(extra[0])} here. Try \`/canary rollback ${id} --dry-run\`.` };
      return { verb, service: id, dryRun: rest.includes(DRY_RUN) };
    }
    case 'runbook':
      return parseRunbook(id, rest, config);
    default:
      return { verb: verb as 'status' | 'snapshot' | 'doctor' | 'history' | 'resume', service: id };
  }
}

/** The runbook is checked here against the configured ones, so a typo is answered with the names that exist. */
function parseRunbook(service: ServiceId, words: string[], config: BotConfig): Command | { error: string } {
  const dryRun = words.includes(DRY_RUN);
  const [name, extra] = words.filter((word) => word !== DRY_RUN);
  const known = Object.keys(config.runbooks).join(', ');
  if (!name)
    return {
      error: `Which runbook? Configured: ${known}. For example \`/canary runbook ${service} rollback --dry-run\`.`,
    };
  if (!Object.hasOwn(config.runbooks, name)) {
    return { error: `No runbook named ${code(name)} is configured. Configured: ${known}.` };
  }
  if (extra) return { error: `I don't know ${code(extra)} here; only \`--dry-run\` may follow the runbook.` };
  return { verb: 'runbook', service, runbook: name, dryRun };
}

function resolveService(target: string, config: BotConfig): { id: ServiceId } | { error: string } {
  if (config.services.has(target)) return { id: target };
  const byName = [...config.services.keys()].filter((id) => id.endsWith(`/${target}`));
  if (byName.length === 1 && byName[0]) return { id: byName[0] };
  if (byName.length > 1) return { error: `${code(target)} is ambiguous: ${byName.join(', ')}.` };
  return { error: `${code(target)} is not a configured service. Try \`/canary list\`.` };
}

const firstService = (config: BotConfig): string => config.services.keys().next().value ?? 'namespace/name';
