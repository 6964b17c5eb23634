import type { TrafficSplit } from '../domain/snapshot';

/**
 * The Kubernetes cluster a service's Canary runs in, as the bot reads it. Failures come back as `{ error }` with a
 * sentence a person can act on (which RBAC is missing, which object is absent), never as exceptions.
 */
export interface Cluster {
  /**
   * The live weights of Flagger's VirtualService `<service>` in `namespace`: its `<service>-primary` and
   * `<service>-canary` routes, as Flagger itself reads them. `service` is the Canary's apex service name
   * (`spec.service.name`, else `spec.targetRef.name`; usually the Canary's name).
   */
  trafficSplit(namespace: string, service: string): Promise<TrafficSplit | { error: string }>;
}

/** Something the apiserver refused or could not do; `retryable` for 409, 429, 5xx and timeouts, once retries ran out. */
export interface ClusterFailure {
  error: string;
  retryable: boolean;
  status?: number;
}

export const isClusterFailure = (value: unknown): value is ClusterFailure =>
  typeof value === 'object' && value !== null && 'error' in value && 'retryable' in value;

export type ResourceKind = 'Deployment' | 'Canary' | 'VirtualService' | 'DestinationRule' | 'PeerAuthentication';
export interface ResourceRef {
  kind: ResourceKind;
  namespace: string;
  name: string;
}

/** A change asked of the apiserver: with `dryRun`, a server-side dry run (`dryRun=All`) that persists nothing. */
export interface ChangeOptions {
  dryRun: boolean;
}

/** What a change did (or, dry run, would do): `changed` false when the object already was so (idempotent steps). */
export interface Change {
  changed: boolean;
  /** Plain words, e.g. "primary 50 -> 100, canary 50 -> 0". */
  summary: string;
}

export interface CanaryState {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
}

export interface DeploymentState {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

/**
 * The verbs the runbooks need (deploy/rbac.yaml grants exactly these). Each call retries 409 (re-reading the
 * object), 429 and 5xx with backoff within its own deadline, then answers a ClusterFailure; never throws.
 */
export interface RunbookCluster extends Cluster {
  /** Sets the weights of Flagger's `<service>-primary` and `<service>-canary` routes in VirtualService `<service>`. */
  setWeights(
    namespace: string,
    service: string,
    weights: { primary: number; canary: number },
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure>;
  scale(
    namespace: string,
    deployment: string,
    replicas: number,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure>;
  /** A JSON merge patch (RFC 7386). */
  mergePatch(
    ref: ResourceRef,
    patch: Record<string, unknown>,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure>;
  annotate(
    ref: ResourceRef,
    annotations: Record<string, string>,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure>;
  canaryState(namespace: string, name: string): Promise<CanaryState | ClusterFailure>;
  deploymentState(namespace: string, name: string): Promise<DeploymentState | ClusterFailure>;
  /** A read for `inspect` steps: the object as the apiserver returns it (404 is a failure with status 404). */
  read(ref: ResourceRef): Promise<Record<string, unknown> | ClusterFailure>;
  /** DestinationRules of the namespace whose host names `service` (Flagger's `<service>-primary`/`-canary`). */
  listDestinationRules(namespace: string, service: string): Promise<Record<string, unknown>[] | ClusterFailure>;
  /** The namespace's Istio PeerAuthentications (`/canary doctor` reads its mTLS mode). */
  listPeerAuthentications(namespace: string): Promise<Record<string, unknown>[] | ClusterFailure>;
}
