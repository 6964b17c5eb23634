import type { KubeClient } from './kube';

interface Deployment {
  metadata: { name: string; namespace: string; generation?: number };
  spec: { replicas?: number };
  status?: DeploymentStatus;
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: { type: string; status: string; reason: string }[];
}

/**
 * Stands in for the deployment controller and the kubelets, which this cluster does not run: every ~300 ms it
 * reads all Deployments and, for each whose status does not describe its current spec, writes through the status
 * subresource what the deployment controller would write once every pod is up (Flagger's readiness test, see
 * pkg/canary/deployment_ready.go). A Deployment marked unready reports its pods updated but none available, as
 * the controller does while new pods fail their readiness probes.
 */
export class StatusKeeper {
  private readonly unready = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Status writes so far, for tests and logs. */
  writes = 0;
  lastError?: Error;

  constructor(
    private readonly kube: KubeClient,
    private readonly intervalMs = 300,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sync()
        .catch((error: Error) => {
          this.lastError = error;
        })
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Pods of `namespace/name` stop (or start again) passing their readiness probes. */
  setReady(namespace: string, name: string, ready: boolean): void {
    if (ready) this.unready.delete(`${namespace}/${name}`);
    else this.unready.add(`${namespace}/${name}`);
  }

  async sync(): Promise<void> {
    const deployments = await this.kube.list<Deployment>('/apis/apps/v1/deployments');
    for (const deployment of deployments) {
      const { namespace, name } = deployment.metadata;
      const desired = desiredStatus(deployment, !this.unready.has(`${namespace}/${name}`));
      if (sameStatus(deployment.status ?? {}, desired)) continue;
      await this.kube.mergePatch(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}/status`, {
        status: desired,
      });
      this.writes++;
    }
  }
}

function desiredStatus(deployment: Deployment, ready: boolean): DeploymentStatus {
  const replicas = deployment.spec.replicas ?? 1;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastUpdateTime: now,
    lastTransitionTime: now,
  });
  const available = ready ? replicas : 0;
  return {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: available,
    availableReplicas: available,
    unavailableReplicas: replicas - available,
    conditions: [
      ready || replicas === 0
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      ready
        ? condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${deployment.metadata.name}" has successfully progressed.`,
          )
        : condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${deployment.metadata.name}" is progressing.`,
          ),
    ],
  };
}

function sameStatus(live: DeploymentStatus, desired: DeploymentStatus): boolean {
  const keys = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const;
  const reasons = (s: DeploymentStatus) =>
    (s.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).join(',');
  // The API drops zero-valued counters, so a missing field reads as 0.
  return keys.every((k) => (live[k] ?? 0) === (desired[k] ?? 0)) && reasons(live) === reasons(desired);
}
