import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../domain/errors';
import type { ServiceId } from '../domain/flagger';
import { describeIssues } from './problems';
import { type BotConfig, type ConfigDocument, configSchema, type ServicePolicy } from './schema';

/** What `loadConfig` returns; its shape is the schema's. */
export type { BotConfig } from './schema';

export function loadConfig(file: string): BotConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(file, [], `${file} was not found`);
    throw new ConfigError(file, [], `${file} cannot be read: ${(error as Error).message}`);
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
  const input = doc.toJS() ?? {};
  // Parsed once per version: zod's compiled fast path costs more to build (~5 ms at cold start) than it saves here.
  const parsed = configSchema.safeParse(input, { jitless: true });
  if (!parsed.success) {
    throw new ConfigError(
      file,
      describeIssues(configSchema, parsed.error.issues, input).map(({ path, at, message }) => {
        // Point at the offending key itself, or at the nearest part of the document that exists.
        const line = lineOf(doc, lineCounter, at);
        return `${path.join('.') || '(top level)'}${line ? ` (line ${line})` : ''}: ${message}`;
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

/** Escalation is two fields, each the service's own or the default one; no `escalateAfter` means none. */
function escalation(own: ConfigDocument['services'][string], defaults: ConfigDocument['defaults']) {
  const after = own.escalateAfter ?? defaults.escalateAfter;
  const to = own.escalateTo ?? defaults.escalateTo;
  return after === undefined ? { escalateTo: to } : { escalateAfter: after, escalateTo: to };
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
      ...escalation(own, defaults),
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
