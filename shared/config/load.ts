import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../domain/errors';
import type { ServiceId } from '../domain/flagger';
import { type BotConfig, type ConfigDocument, configSchema, type ServicePolicy } from './schema';

/** What `loadConfig` returns; its shape is the schema's. */
export type { BotConfig } from './schema';

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

/** Each service's policy: its own fields where it has them, the `defaults` section's (complete) elsewhere. */
function resolve(doc: ConfigDocument, file: string): BotConfig {
  const { defaults } = doc;
  const services = new Map<ServiceId, ServicePolicy>();
  for (const [service, own] of Object.entries(doc.services)) {
    services.set(service, {
      ...own,
      approvers: own.approvers ?? defaults.approvers,
      quorum: own.quorum ?? defaults.quorum,
      approvalExpiry: own.approvalExpiry ?? defaults.approvalExpiry,
      allowSelfApproval: own.allowSelfApproval ?? defaults.allowSelfApproval,
      slo: { ...defaults.slo, ...own.slo },
      service,
      target: own.target ?? service.split('/')[1] ?? service,
      autoRollback: own.autoRollback ?? doc.alerts.autoRollback,
    });
  }
  const { clusters, alerts, runbooks } = doc;
  return { file, services, clusters, alerts, runbooks, ...(doc.prometheus ? { prometheus: doc.prometheus } : {}) };
}
