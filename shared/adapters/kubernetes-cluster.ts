import { dirname, resolve } from 'node:path';
import type { TrafficSplit } from '../domain/snapshot';
import type {
  CanaryState,
  Change,
  ChangeOptions,
  ClusterFailure,
  DeploymentState,
  ResourceRef,
  RunbookCluster,
} from '../ports/cluster';
import {
  buildConnection,
  type Connection,
  describeTarget,
  type KubernetesClusterOptions,
} from './kubernetes-connection';
import { describeFailure, messageOf, VIRTUAL_SERVICE } from './kubernetes-failures';
import { splitFromVirtualService } from './kubernetes-routes';
import * as verbs from './kubernetes-runbook';

export type { KubernetesClusterOptions } from './kubernetes-connection';
export { describeFailure, type Failure, VIRTUAL_SERVICE } from './kubernetes-failures';
export { splitFromVirtualService, withWeights } from './kubernetes-routes';

/**
 * A cluster as the bot sees it: the live split for snapshots (one quick try: Slack and Flagger are waiting), and the
 * runbook verbs, each retried within its deadline (kubernetes-runbook.ts). The client is built at the first call.
 */
export class KubernetesCluster implements RunbookCluster {
  readonly description: string;
  private connection?: Promise<Connection>;
  private readonly timeoutMs: number;
  private readonly writes: verbs.Limits;
  private readonly reads: verbs.Limits;

  constructor(private readonly options: KubernetesClusterOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.writes = { requestMs: this.timeoutMs, deadlineMs: options.writeDeadlineMs ?? 5000 };
    this.reads = { requestMs: this.timeoutMs, deadlineMs: options.readDeadlineMs ?? this.timeoutMs };
    this.description = describeTarget(options);
  }

  async trafficSplit(namespace: string, service: string): Promise<TrafficSplit | { error: string }> {
    let connection: Connection;
    try {
      connection = await this.connect();
    } catch (error) {
      return { error: `cannot use cluster ${this.description}: ${messageOf(error)}` };
    }
    const object = `VirtualService ${namespace}/${service}`;
    let virtualService: unknown;
    try {
      virtualService = await connection.api.getNamespacedCustomObject(
        { ...VIRTUAL_SERVICE, namespace, name: service },
        connection.callOptions(),
      );
    } catch (error) {
      const at = { server: connection.server, namespace, service, object, timeoutMs: this.timeoutMs };
      return { error: describeFailure(connection.failureOf(error), at) };
    }
    return splitFromVirtualService(virtualService, service, object);
  }

  setWeights(
    namespace: string,
    service: string,
    weights: { primary: number; canary: number },
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure> {
    const ref = { kind: 'VirtualService', namespace, name: service } as const;
    return this.call(ref, 'update', this.writes, (c, ms) => verbs.setWeights(c, ref, weights, options, ms));
  }

  async scale(
    namespace: string,
    deployment: string,
    replicas: number,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure> {
    const ref = { kind: 'Deployment', namespace, name: deployment } as const;
    const change = await this.call(ref, 'patch', this.writes, (c, ms) =>
      verbs.mergePatch(c, ref, { spec: { replicas } }, options, ms),
    );
    if ('error' in change) return change;
    return change.changed
      ? { changed: true, summary: change.summary.replace(/^spec\.replicas /, 'replicas ') }
      : { changed: false, summary: `already replicas ${replicas}` };
  }

  mergePatch(
    ref: ResourceRef,
    patch: Record<string, unknown>,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure> {
    return this.call(ref, 'patch', this.writes, (c, ms) => verbs.mergePatch(c, ref, patch, options, ms));
  }

  annotate(
    ref: ResourceRef,
    annotations: Record<string, string>,
    options: ChangeOptions,
  ): Promise<Change | ClusterFailure> {
    return this.mergePatch(ref, { metadata: { annotations } }, options);
  }

  canaryState(namespace: string, name: string): Promise<CanaryState | ClusterFailure> {
    const ref = { kind: 'Canary', namespace, name } as const;
    return this.call(ref, 'get', this.reads, (c, ms) => verbs.canaryState(c, ref, ms));
  }

  deploymentState(namespace: string, name: string): Promise<DeploymentState | ClusterFailure> {
    const ref = { kind: 'Deployment', namespace, name } as const;
    return this.call(ref, 'get', this.reads, (c, ms) => verbs.deploymentState(c, ref, ms));
  }

  read(ref: ResourceRef): Promise<Record<string, unknown> | ClusterFailure> {
    return this.call(ref, 'get', this.reads, (c, ms) => verbs.readObject(c, ref, ms));
  }

  listDestinationRules(namespace: string, service: string): Promise<Record<string, unknown>[] | ClusterFailure> {
    const ref = { kind: 'DestinationRule', namespace, name: service } as const;
    return this.call(ref, 'list', this.reads, (c, ms) => verbs.listDestinationRules(c, namespace, service, ms));
  }

  listPeerAuthentications(namespace: string): Promise<Record<string, unknown>[] | ClusterFailure> {
    const ref = { kind: 'PeerAuthentication', namespace, name: '*' } as const;
    return this.call(ref, 'list', this.reads, (c, ms) => verbs.listPeerAuthentications(c, namespace, ms));
  }

  private async call<T>(
    ref: ResourceRef,
    verb: string,
    limits: verbs.Limits,
    attempt: (connection: Connection, requestMs: number) => Promise<T>,
  ): Promise<T | ClusterFailure> {
    let connection: Connection;
    try {
      connection = await this.connect();
    } catch (error) {
      return { error: `cannot use cluster ${this.description}: ${messageOf(error)}`, retryable: true };
    }
    return verbs.retrying(connection, limits, { ref, verb }, (ms) => attempt(connection, ms));
  }

  /** The client, built once; a failure (unreadable kubeconfig, DescribeCluster refused) is retried at the next call. */
  private connect(): Promise<Connection> {
    this.connection ??= buildConnection(this.options, this.timeoutMs).catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }
}

/** One entry of the configuration's `clusters:` (shared/config/schema.ts). */
export type ClusterEntry = { region: string; name: string } | { kubeconfig: string; context?: string };

/**
 * The adapter for a configured cluster: EKS by region and name (DescribeCluster and tokens at the first call), or a
 * kubeconfig file, relative to `baseDir` (the configuration file's folder). Nothing is loaded or asked until then.
 */
export function kubernetesClusterFor(entry: ClusterEntry, baseDir: string, timeoutMs?: number): KubernetesCluster {
  const deadline = timeoutMs === undefined ? {} : { timeoutMs };
  if ('kubeconfig' in entry) {
    return new KubernetesCluster({
      kubeconfigFile: resolve(baseDir, entry.kubeconfig),
      ...(entry.context ? { context: entry.context } : {}),
      ...deadline,
    });
  }
  return new KubernetesCluster({ eks: { region: entry.region, name: entry.name }, ...deadline });
}

/** Every configured cluster by name; nothing connects until a snapshot or a runbook asks. */
export function clustersOf(config: {
  file: string;
  clusters: Record<string, ClusterEntry>;
}): Map<string, KubernetesCluster> {
  const baseDir = dirname(config.file);
  return new Map(Object.entries(config.clusters).map(([name, entry]) => [name, kubernetesClusterFor(entry, baseDir)]));
}
