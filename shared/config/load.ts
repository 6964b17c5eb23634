import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../domain/errors';
import type { ServiceId } from '../domain/flagger';
import type { ServicePolicy } from '../domain/policy';
import { type ConfigDocument, configSchema } from './schema';

/** The design document's SLOs and a conservative approval policy, used where the file says nothing. */
const BUILTIN_DEFAULTS = {
  approvers: { users: [], groups: [] },
  quorum: 1,
  approvalExpiry: 2 * 3_600_000,
  allowSelfApproval: false,
  slo: { successRate: 99, p95LatencyMs: 500, errorRate: 1 },
} satisfies Omit<ServicePolicy, 'service' | 'channel' | 'gates' | 'analysis'>;

export interface BotConfig {
  readonly file: string;
  readonly services: ReadonlyMap<ServiceId, ServicePolicy>;
  readonly clusters: ConfigDocument['clusters'];
}

export function loadConfig(file: string): BotConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = '<config>'): BotConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
    );
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number] } | undefined;
        const where = node?.range ? ` (line ${lineCounter.linePos(node.range[0]).line})` : '';
        return `${issue.path.join('.') || '(top level)'}${where}: ${issue.message}`;
      }),
    );
  }
  return resolve(parsed.data, file);
}

function resolve(doc: ConfigDocument, file: string): BotConfig {
  const defaults = { ...BUILTIN_DEFAULTS, ...stripUndefined(doc.defaults) };
  const services = new Map<ServiceId, ServicePolicy>();
  const problems: string[] = [];
  for (const [service, own] of Object.entries(doc.services)) {
    const policy: ServicePolicy = {
      ...defaults,
      ...stripUndefined(own),
      slo: { ...defaults.slo, ...own.slo },
      service,
      channel: own.channel,
      gates: own.gates,
      analysis: own.analysis,
    };
    const manual = Object.values(policy.gates).some((g) => g.mode === 'manual');
    if (manual && policy.approvers.users.length + policy.approvers.groups.length === 0) {
      problems.push(`services.${service}.approvers: a manual gate needs at least one approver user or group`);
    }
    if (policy.approvers.groups.length === 0 && policy.quorum > policy.approvers.users.length && manual) {
      problems.push(
        `services.${service}.quorum: ${policy.quorum} approvals can never be reached by ${policy.approvers.users.length} listed users`,
      );
    }
    services.set(service, policy);
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { file, services, clusters: doc.clusters };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
