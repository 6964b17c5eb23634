import type {
  CanaryState,
  Change,
  ChangeOptions,
  ClusterFailure,
  DeploymentState,
  ResourceKind,
  ResourceRef,
} from '../ports/cluster';
import type { Connection } from './kubernetes-connection';
import { describe, type Failure, isRetryable } from './kubernetes-failures';
import { withWeights } from './kubernetes-routes';

type Json = Record<string, unknown>;

/** Where each kind a runbook may touch is served (Flagger's Istio router uses networking.istio.io/v1beta1). */
export const RESOURCES: Record<ResourceKind, { group: string; version: string; plural: string }> = {
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments' },
  Canary: { group: 'flagger.app', version: 'v1beta1', plural: 'canaries' },
  VirtualService: { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' },
  DestinationRule: { group: 'networking.istio.io', version: 'v1beta1', plural: 'destinationrules' },
  PeerAuthentication: { group: 'security.istio.io', version: 'v1beta1', plural: 'peerauthentications' },
};
/** the least time left worth a last try (a request cut at 1 ms would only say "no answer") */
const LAST_TRY_MS = 50;
const MERGE_PATCH = 'application/merge-patch+json';

export interface Limits {
  /** one request */
  requestMs: number;
  /** one call with its retries */
  deadlineMs: number;
}

/**
 * One call of a runbook verb: `attempt` runs again (re-reading what it needs, so a 409 re-reads the object) after a
 * 409, 429 (its Retry-After if given), 5xx or no answer, with backoff from 100 ms doubling, jittered, until the
 * deadline; then, or at once for anything else, a ClusterFailure with a sentence. Never throws.
 */
export async function retrying<T>(
  connection: Connection,
  limits: Limits,
  what: { ref: ResourceRef; verb: string },
  attempt: (requestMs: number) => Promise<T>,
): Promise<T | ClusterFailure> {
  const end = Date.now() + limits.deadlineMs;
  let backoff = 100;
  for (;;) {
    const remaining = end - Date.now();
    let failure: Failure;
    try {
      return await attempt(Math.min(limits.requestMs, Math.max(remaining, 1)));
    } catch (error) {
      if (error instanceof UnchangeableError) return { error: error.message, retryable: false };
      failure = connection.failureOf(error);
    }
    const retryable = isRetryable(failure);
    const retryAfter = 'status' in failure && failure.retryAfter ? Number(failure.retryAfter) * 1000 : Number.NaN;
    const left = end - Date.now();
    // a Retry-After beyond the deadline is an answer now; a backoff is cut short to try once more at the deadline
    if (!retryable || left <= LAST_TRY_MS || retryAfter >= left) {
      return failureAnswer(connection, limits, what, failure, retryable);
    }
    const wait = Number.isFinite(retryAfter) ? retryAfter : backoff * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left - LAST_TRY_MS)));
    backoff *= 2;
  }
}

function failureAnswer(
  connection: Connection,
  limits: Limits,
  what: { ref: ResourceRef; verb: string },
  failure: Failure,
  retryable: boolean,
): ClusterFailure {
  const { group, version, plural } = RESOURCES[what.ref.kind];
  const sentence = describe(failure, {
    server: connection.server,
    namespace: what.ref.namespace,
    object: `${what.ref.kind} ${what.ref.namespace}/${what.ref.name}`,
    name: what.ref.name,
    verb: what.verb,
    resource: `${plural}.${group}`,
    served: `${group}/${version} ${plural}`,
    timeoutMs: limits.requestMs,
  });
  return { error: sentence, retryable, ...('status' in failure ? { status: failure.status } : {}) };
}

const at = (ref: ResourceRef) => ({ ...RESOURCES[ref.kind], namespace: ref.namespace, name: ref.name });
const dryRunOf = (options: ChangeOptions) => (options.dryRun ? { dryRun: 'All' } : {});

export async function readObject(connection: Connection, ref: ResourceRef, requestMs: number): Promise<Json> {
  return (await connection.api.getNamespacedCustomObject(
    at(ref),
    connection.callOptions({ timeoutMs: requestMs }),
  )) as Json;
}

/** Reads the VirtualService, sets the weights everywhere, and PUTs it with the resourceVersion it read. */
export async function setWeights(
  connection: Connection,
  ref: ResourceRef,
  weights: { primary: number; canary: number },
  options: ChangeOptions,
  requestMs: number,
): Promise<Change> {
  const current = await readObject(connection, ref, requestMs);
  const next = withWeights(current, ref.name, weights);
  if ('error' in next) throw new UnchangeableError(`VirtualService ${ref.namespace}/${ref.name} ${next.error}`);
  const target = `primary ${weights.primary}, canary ${weights.canary}`;
  if (JSON.stringify(next.object.spec) === JSON.stringify(current.spec)) {
    return { changed: false, summary: `already ${target}` };
  }
  await connection.api.replaceNamespacedCustomObject(
    { ...at(ref), body: next.object, ...dryRunOf(options) },
    connection.callOptions({ timeoutMs: requestMs }),
  );
  const { before } = next;
  const summary = before
    ? `primary ${before.primary} -> ${weights.primary}, canary ${before.canary} -> ${weights.canary}`
    : target;
  return { changed: true, summary: `${summary}${next.routes > 1 ? ` (${next.routes} routes)` : ''}` };
}

/** A merge patch, summarised as the patched fields' values before and after (the dry run's answer for a dry run). */
export async function mergePatch(
  connection: Connection,
  ref: ResourceRef,
  patch: Json,
  options: ChangeOptions,
  requestMs: number,
): Promise<Change> {
  const before = await readObject(connection, ref, requestMs);
  const after = (await connection.api.patchNamespacedCustomObject(
    { ...at(ref), body: patch, ...dryRunOf(options) },
    connection.callOptions({ timeoutMs: requestMs, contentType: MERGE_PATCH }),
  )) as Json;
  const changes = leaves(patch)
    .map((path) => ({ path: path.join('.'), from: valueAt(before, path), to: valueAt(after, path) }))
    .filter((c) => JSON.stringify(c.from) !== JSON.stringify(c.to))
    .map((c) => `${c.path} ${show(c.from)} -> ${show(c.to)}`);
  return changes.length === 0
    ? { changed: false, summary: `${ref.kind} ${ref.name} already so` }
    : { changed: true, summary: changes.join(', ') };
}

export async function canaryState(connection: Connection, ref: ResourceRef, requestMs: number): Promise<CanaryState> {
  const status = ((await readObject(connection, ref, requestMs)).status ?? {}) as Json;
  const state: CanaryState = {};
  if (typeof status.phase === 'string') state.phase = status.phase;
  if (typeof status.canaryWeight === 'number') state.canaryWeight = status.canaryWeight;
  if (typeof status.failedChecks === 'number') state.failedChecks = status.failedChecks;
  if (typeof status.iterations === 'number') state.iterations = status.iterations;
  return state;
}

/** `replicas` is the desired count (spec), the others the Deployment's status as its controller last wrote it. */
export async function deploymentState(
  connection: Connection,
  ref: ResourceRef,
  requestMs: number,
): Promise<DeploymentState> {
  const object = await readObject(connection, ref, requestMs);
  const spec = (object.spec ?? {}) as Json;
  const status = (object.status ?? {}) as Json;
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  return {
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    readyReplicas: count(status.readyReplicas),
    updatedReplicas: count(status.updatedReplicas),
    availableReplicas: count(status.availableReplicas),
  };
}

export async function listDestinationRules(
  connection: Connection,
  namespace: string,
  service: string,
  requestMs: number,
): Promise<Json[]> {
  const names = [service, `${service}-primary`, `${service}-canary`];
  return (await listNamespaced(connection, 'DestinationRule', namespace, requestMs)).filter((rule) => {
    const host = String((rule.spec as Json | undefined)?.host ?? '');
    return names.some((name) => host === name || host.startsWith(`${name}.`));
  });
}

export const listPeerAuthentications = (connection: Connection, namespace: string, requestMs: number) =>
  listNamespaced(connection, 'PeerAuthentication', namespace, requestMs);

/** Every object of a kind in the namespace (the only list calls deploy/rbac.yaml grants). */
async function listNamespaced(
  connection: Connection,
  kind: ResourceKind,
  namespace: string,
  requestMs: number,
): Promise<Json[]> {
  const { group, version, plural } = RESOURCES[kind];
  const list = (await connection.api.listNamespacedCustomObject(
    { group, version, plural, namespace },
    connection.callOptions({ timeoutMs: requestMs }),
  )) as { items?: Json[] };
  return list.items ?? [];
}

/** The object is not one the verb can change (no Flagger routes): not retried, not the apiserver's fault. */
export class UnchangeableError extends Error {}

function leaves(patch: Json, prefix: string[] = []): string[][] {
  return Object.entries(patch).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? leaves(value as Json, [...prefix, key])
      : [[...prefix, key]],
  );
}

function valueAt(object: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Json)[key] : undefined), object);
}

const show = (value: unknown) => (value === undefined || value === null ? 'unset' : JSON.stringify(value));
