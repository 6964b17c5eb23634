import type { BotConfig } from '../config/load';
import { type Check, type DoctorReport, fail, pass } from '../domain/doctor';
import { analysisChecks } from '../domain/doctor-analysis';
import { meshChecks } from '../domain/doctor-mesh';
import { webhookChecks } from '../domain/doctor-webhooks';
import type { ServiceId } from '../domain/flagger';
import { at, text } from '../domain/untyped';
import { isClusterFailure, type RunbookCluster } from '../ports/cluster';

export interface DoctorDeps {
  config: BotConfig;
  clusters: ReadonlyMap<string, RunbookCluster>;
}

/**
 * `/canary doctor`: reads the service's Canary and the mesh objects Flagger made for it, and checks them against
 * what the configuration relies on. Read-only: every object is read with the bot's own RBAC, and a read it may not
 * make is a line of the report, not an error.
 */
export async function runDoctor(deps: DoctorDeps, service: ServiceId): Promise<DoctorReport> {
  const policy = deps.config.services.get(service);
  const clusterName = policy?.cluster ?? '';
  const report = (checks: Check[]): DoctorReport => ({ service, cluster: clusterName, checks });
  if (!policy) return report([fail('service', 'not in the configuration', `add services.${service}`)]);
  const cluster = deps.clusters.get(clusterName);
  if (!cluster) {
    return report([
      fail(
        'cluster',
        policy.cluster ? `${policy.cluster} is not usable` : 'none named',
        `set services.${service}.cluster to one of clusters:`,
      ),
    ]);
  }
  const [namespace = '', name = ''] = service.split('/');
  const canary = await cluster.read({ kind: 'Canary', namespace, name });
  if (isClusterFailure(canary)) {
    return report([
      fail(`Canary ${service}`, canary.error, 'the doctor reads the Canary first: fix this and ask again'),
    ]);
  }
  // Flagger names its VirtualService and DestinationRules after the Canary's service (spec.service.name).
  const apex = text(at(canary, 'spec', 'service', 'name')) ?? name;
  const [virtualService, destinationRules, peerAuthentications] = await Promise.all([
    cluster.read({ kind: 'VirtualService', namespace, name: apex }),
    cluster.listDestinationRules(namespace, apex),
    cluster.listPeerAuthentications(namespace),
  ]);
  const phase = text(at(canary, 'status', 'phase')) ?? 'no status yet';
  return report([
    pass(`Canary ${service}`, `found (${phase})`),
    ...analysisChecks(policy, canary),
    ...webhookChecks(policy, canary),
    ...meshChecks(policy.traffic, { service: apex, virtualService, destinationRules, peerAuthentications }),
  ]);
}
