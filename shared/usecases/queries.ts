import type { ServiceId } from '../domain/flagger';
import { approvalCount } from '../domain/gate';
import { runLabel } from '../domain/release';
import { currentRun } from './current-run';
import type { Deps } from './deps';

export async function listServices(deps: Deps): Promise<string> {
  const lines = await Promise.all(
    [...deps.config.services.values()].map(async (policy) => {
      const run = await currentRun(deps.store, policy.service);
      const state = run ? `#${run.number} ${run.outcome ?? run.phase}, weight ${run.weight}%` : 'no release yet';
      return `• *${policy.service}* (<#${policy.channel}>): ${state}`;
    }),
  );
  return lines.length ? lines.join('\n') : 'No services are configured.';
}

export async function status(deps: Deps, service: ServiceId): Promise<string> {
  if (!deps.config.services.has(service)) return `${service} is not configured in release-bot.`;
  const [record, run] = await Promise.all([deps.store.getService(service), currentRun(deps.store, service)]);
  if (!run) return `No release of ${service} has been seen yet.`;
  const gates = await deps.store.listGates(service, run.number);
  const lines = [`*${runLabel(run)}*: ${run.outcome ?? run.phase}, canary weight ${run.weight}%`];
  for (const g of gates) lines.push(`• ${g.key}: ${g.status} (${approvalCount(g)}/${g.quorum})`);
  if (record?.paused) lines.push(`Paused by <@${record.paused.by}>: ${record.paused.reason}`);
  if (run.rollback) lines.push(`Rollback requested by <@${run.rollback.by}>`);
  return lines.join('\n');
}

export async function history(deps: Deps, service: ServiceId): Promise<string> {
  if (!deps.config.services.has(service)) return `${service} is not configured in release-bot.`;
  const [runs, audit] = await Promise.all([deps.store.listRuns(service, 5), deps.store.listAudit(service, 15)]);
  const runLines = runs.map(
    (r) => `• #${r.number} ${r.outcome ?? r.phase} (started ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
  );
  const auditLines = audit.map(
    (a) =>
      `• ${a.at.slice(0, 19).replace('T', ' ')} ${a.actor.startsWith('U') || a.actor.startsWith('W') ? `<@${a.actor}>` : a.actor} ` +
      `${a.action}${a.gate ? ` ${a.gate}` : ''}${a.run ? ` #${a.run}` : ''}: ${a.outcome}, ${a.detail}`,
  );
  return [`*Releases of ${service}*`, ...runLines, '*Audit trail (newest first)*', ...auditLines].join('\n');
}
