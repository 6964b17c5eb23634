import type { TrafficSplit } from '../../shared/domain/snapshot';
import type {
  CanaryState,
  Change,
  ChangeOptions,
  ClusterFailure,
  DeploymentState,
  ResourceRef,
  RunbookCluster,
} from '../../shared/ports/cluster';

export interface FakeCall {
  verb: string;
  target: string;
  dryRun?: boolean;
}

type Verb = keyof RunbookCluster;

const key = (...parts: string[]) => parts.join('/');

/** RFC 7386 merge patch: null removes, objects merge, anything else replaces. */
function merged(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = merged(base[k], v);
  }
  return base;
}

/**
 * The runbook verbs over objects in memory, the way the apiserver answers them: changes are idempotent (`changed`
 * false when already so), a dry run changes nothing, and a verb can be made to fail (`failWith`) or throw
 * (`throwOn`, a crashed process). Every call is recorded, dry runs marked, so tests can count what ran.
 */
export class FakeCluster implements RunbookCluster {
  readonly calls: FakeCall[] = [];
  readonly weights = new Map<string, { primary: number; canary: number }>();
  readonly deployments = new Map<string, DeploymentState>();
  readonly canaries = new Map<string, CanaryState>();
  readonly objects = new Map<string, Record<string, unknown>>();
  destinationRules: Record<string, unknown>[] = [];
  peerAuthentications: Record<string, unknown>[] = [];
  /** Phases the Canary reports at its next reads, one per read; the last one stays. */
  phases: string[] = [];
  private readonly failures = new Map<Verb, ClusterFailure>();
  private readonly throwing = new Map<Verb, number>();

  failWith(verb: Verb, failure: ClusterFailure | undefined): void {
    if (failure) this.failures.set(verb, failure);
    else this.failures.delete(verb);
  }

  /** The next `times` calls of `verb` throw, as if the process died inside it. */
  throwOn(verb: Verb, times = 1): void {
    this.throwing.set(verb, times);
  }

  changes(): FakeCall[] {
    return this.calls.filter(
      (c) =>
        ![
          'trafficSplit',
          'canaryState',
          'deploymentState',
          'read',
          'listDestinationRules',
          'listPeerAuthentications',
        ].includes(c.verb),
    );
  }

  /** Runs before every call: a test moves the cluster on here (a Deployment becoming ready). */
  beforeCall: ((call: FakeCall) => void) | undefined;

  private enter(verb: Verb, target: string, options?: ChangeOptions): ClusterFailure | undefined {
    const call = { verb, target, ...(options ? { dryRun: options.dryRun } : {}) };
    this.calls.push(call);
    this.beforeCall?.(call);
    const left = this.throwing.get(verb) ?? 0;
    if (left > 0) {
      this.throwing.set(verb, left - 1);
      throw new Error(`${verb} crashed`);
    }
    return this.failures.get(verb);
  }

  async trafficSplit(namespace: string, service: string): Promise<TrafficSplit | { error: string }> {
    const failed = this.enter('trafficSplit', key(namespace, service));
    if (failed) return failed;
    const w = this.weights.get(key(namespace, service)) ?? { primary: 100, canary: 0 };
    return { ...w, from: 'virtualservice' };
  }

  async setWeights(
    namespace: string,
    service: string,
    weights: { primary: number; canary: number },
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure> {
    const failed = this.enter('setWeights', key(namespace, service), options);
    if (failed) return failed;
    const before = this.weights.get(key(namespace, service)) ?? { primary: 100, canary: 0 };
    if (before.primary === weights.primary && before.canary === weights.canary) {
      return { changed: false, summary: `already primary ${weights.primary}, canary ${weights.canary}` };
    }
    if (!options.dryRun) this.weights.set(key(namespace, service), { ...weights });
    return {
      changed: true,
      summary: `primary ${before.primary} -> ${weights.primary}, canary ${before.canary} -> ${weights.canary}`,
    };
  }

  async scale(namespace: string, deployment: string, replicas: number, options: ChangeOptions) {
    const failed = this.enter('scale', key(namespace, deployment), options);
    if (failed) return failed;
    const before = this.deployments.get(key(namespace, deployment));
    if (!before) return { error: `Deployment ${deployment} not found in ${namespace}`, retryable: false, status: 404 };
    if (before.replicas === replicas)
      return { changed: false, summary: `${deployment} already at ${replicas} replicas` };
    if (!options.dryRun) {
      this.deployments.set(key(namespace, deployment), {
        replicas,
        readyReplicas: replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
      });
    }
    return { changed: true, summary: `${deployment} replicas ${before.replicas} -> ${replicas}` };
  }

  async mergePatch(ref: ResourceRef, patch: Record<string, unknown>, options: ChangeOptions) {
    const id = key(ref.kind, ref.namespace, ref.name);
    const failed = this.enter('mergePatch', id, options);
    if (failed) return failed;
    const before = this.objects.get(id);
    if (!before)
      return { error: `${ref.kind} ${ref.name} not found in ${ref.namespace}`, retryable: false, status: 404 };
    const after = merged(before, patch) as Record<string, unknown>;
    const changed = JSON.stringify(after) !== JSON.stringify(before);
    if (changed && !options.dryRun) this.objects.set(id, after);
    return { changed, summary: `${ref.kind} ${ref.name} ${changed ? 'patched' : 'already so'}` };
  }

  async annotate(ref: ResourceRef, annotations: Record<string, string>, options: ChangeOptions) {
    const id = key(ref.kind, ref.namespace, ref.name);
    const failed = this.enter('annotate', id, options);
    if (failed) return failed;
    const before = this.objects.get(id);
    if (!before)
      return { error: `${ref.kind} ${ref.name} not found in ${ref.namespace}`, retryable: false, status: 404 };
    const after = merged(before, { metadata: { annotations } }) as Record<string, unknown>;
    const changed = JSON.stringify(after) !== JSON.stringify(before);
    if (changed && !options.dryRun) this.objects.set(id, after);
    return { changed, summary: `${ref.kind} ${ref.name} annotated ${Object.keys(annotations).join(', ')}` };
  }

  async canaryState(namespace: string, name: string): Promise<CanaryState | ClusterFailure> {
    const failed = this.enter('canaryState', key(namespace, name));
    if (failed) return failed;
    const phase = this.phases.length > 1 ? this.phases.shift() : this.phases[0];
    const state = this.canaries.get(key(namespace, name)) ?? {};
    return phase ? { ...state, phase } : state;
  }

  async deploymentState(namespace: string, name: string): Promise<DeploymentState | ClusterFailure> {
    const failed = this.enter('deploymentState', key(namespace, name));
    if (failed) return failed;
    const state = this.deployments.get(key(namespace, name));
    return state ?? { error: `Deployment ${name} not found in ${namespace}`, retryable: false, status: 404 };
  }

  async read(ref: ResourceRef): Promise<Record<string, unknown> | ClusterFailure> {
    const id = key(ref.kind, ref.namespace, ref.name);
    const failed = this.enter('read', id);
    if (failed) return failed;
    return this.objects.get(id) ?? { error: `${ref.kind} ${ref.name} not found`, retryable: false, status: 404 };
  }

  async listDestinationRules(namespace: string, service: string) {
    const failed = this.enter('listDestinationRules', key(namespace, service));
    if (failed) return failed;
    return this.destinationRules;
  }

  async listPeerAuthentications(namespace: string) {
    const failed = this.enter('listPeerAuthentications', namespace);
    if (failed) return failed;
    return this.peerAuthentications;
  }
}

export const deployment = (replicas: number, ready = replicas): DeploymentState => ({
  replicas,
  readyReplicas: ready,
  updatedReplicas: replicas,
  availableReplicas: ready,
});
