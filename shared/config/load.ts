import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
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
} satisfies Omit<ServicePolicy, 'service' | 'channel' | 'gates' | 'analysis' | 'target' | 'metrics'>;

export interface BotConfig {
  readonly file: string;
  readonly services: ReadonlyMap<ServiceId, ServicePolicy>;
  readonly clusters: ConfigDocument['clusters'];
  readonly prometheus?: { url: string; timeout: number };
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
        // Point at the offending key itself, or at the nearest part of the document that exists.
        const path = [...issue.path, ...('keys' in issue ? issue.keys.slice(0, 1) : [])] as (string | number)[];
        const line = lineOf(doc, lineCounter, path);
        // zod wraps a record key's own message in an invalid_key issue.
        const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
        return `${issue.path.join('.') || '(top level)'}${line ? ` (line ${line})` : ''}: ${message}`;
      }),
    );
  }
  return resolve(parsed.data, file);
}

/** The line of the key at `path`, or of the nearest enclosing key the document has. */
function lineOf(doc: Document, counter: LineCounter, path: (string | number)[]): number | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[depth - 1]);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return counter.linePos(range[0]).line;
    }
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function resolve(doc: ConfigDocument, file: string): BotConfig {
  const defaults = { ...BUILTIN_DEFAULTS, ...stripUndefined(doc.defaults) };
  const services = new Map<ServiceId, ServicePolicy>();
  for (const [service, own] of Object.entries(doc.services)) {
    services.set(service, {
      ...defaults,
      ...stripUndefined(own),
      slo: { ...BUILTIN_DEFAULTS.slo, ...stripUndefined(doc.defaults.slo ?? {}), ...stripUndefined(own.slo ?? {}) },
      service,
      channel: own.channel,
      gates: own.gates,
      analysis: own.analysis,
      target: own.target ?? service.split('/')[1] ?? service,
      metrics: { ...own.metrics, queries: stripUndefined(own.metrics.queries) },
    });
  }
  return { file, services, clusters: doc.clusters, ...(doc.prometheus ? { prometheus: doc.prometheus } : {}) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
