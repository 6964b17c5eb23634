import type { BotConfig } from '../config/load';
import type { ServiceId } from '../domain/flagger';
import { code } from './mrkdwn';

/** Slack reads `<namespace/name>` as a link even in code: the placeholders are escaped. */
export const HELP = [
  '*`/canary` commands*',
  '`/canary list`: configured services and their current release',
  '`/canary status &lt;namespace/name&gt;`: the current release, its gates and approvals',
  '`/canary snapshot &lt;namespace/name&gt;`: canary vs primary against the SLOs, from Prometheus, now',
  '`/canary approve &lt;namespace/name&gt; [gate]`: approve what is waiting (name the gate when several are)',
  '`/canary reject &lt;namespace/name&gt; [reason]`: reject what is waiting; a running canary is rolled back',
  '`/canary rollback &lt;namespace/name&gt;`: roll the running canary back (asks you to confirm)',
  '`/canary pause &lt;namespace/name&gt; [reason]` / `/canary resume &lt;namespace/name&gt;`: hold the traffic weight',
  '`/canary history &lt;namespace/name&gt;`: recent releases and the audit trail',
  'A service can be named by its Canary name alone when that is unambiguous.',
].join('\n');

export type Command =
  | { verb: 'help' | 'list' }
  | { verb: 'status' | 'history' | 'rollback' | 'resume' | 'snapshot'; service: ServiceId }
  | { verb: 'approve'; service: ServiceId; gate?: string }
  | { verb: 'reject' | 'pause'; service: ServiceId; reason: string };

const NEEDS_SERVICE = ['status', 'snapshot', 'history', 'rollback', 'resume', 'approve', 'reject', 'pause'] as const;

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
    default:
      return { verb: verb as 'status' | 'snapshot' | 'history' | 'rollback' | 'resume', service: id };
  }
}

function resolveService(target: string, config: BotConfig): { id: ServiceId } | { error: string } {
  if (config.services.has(target)) return { id: target };
  const byName = [...config.services.keys()].filter((id) => id.endsWith(`/${target}`));
  if (byName.length === 1 && byName[0]) return { id: byName[0] };
  if (byName.length > 1) return { error: `${code(target)} is ambiguous: ${byName.join(', ')}.` };
  return { error: `${code(target)} is not a configured service. Try \`/canary list\`.` };
}

const firstService = (config: BotConfig): string => config.services.keys().next().value ?? 'namespace/name';
