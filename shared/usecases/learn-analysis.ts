import { bounded, TEXT_LIMITS } from '../domain/bounds';
import type { ServiceId } from '../domain/flagger';
import { analysisOf, type ServicePolicy } from '../domain/policy';
import type { Run } from '../domain/release';
import { describeShape, disagreements, STRATEGY_NAMES, shapeOfCanary, strategyOf } from '../domain/strategy';
import { isClusterFailure, type RunbookCluster } from '../ports/cluster';
import { updateRun } from './current-run';
import { type CoreDeps, publish } from './deps';

export interface LearnDeps extends CoreDeps {
  clusters: ReadonlyMap<string, RunbookCluster>;
}

/**
 * As a run starts, the worker (on AWS the only function placed to reach the apiserver) reads the live Canary and
 * records its analysis on the run. From then on the run's traffic steps, its manual step's weight and its status
 * line follow what Flagger does, not a copy in the config that may have drifted; a config that disagrees is told,
 * not used. Flagger's first gate of a run is confirm-rollout, which needs no weights, so the read is in time.
 * Without a cluster nothing is read; a failed read leaves the config's analysis in force, and says so.
 */
export async function learnAnalysis(deps: LearnDeps, service: ServiceId, number: number): Promise<void> {
  const policy = deps.config.services.get(service);
  const cluster = policy?.cluster ? deps.clusters.get(policy.cluster) : undefined;
  if (!policy || !cluster) return;
  // A redelivered job finds the analysis already recorded: it tells again (the presenter posts once), reads nothing.
  const recorded = (await deps.store.getRun(service, number))?.analysis;
  const run = recorded ? { analysis: recorded } : await readAndRecord(deps, policy, cluster, service, number);
  if (!run?.analysis) return;
  await publish(deps, {
    type: 'analysis-read',
    service,
    run: number,
    strategy: STRATEGY_NAMES[strategyOf(run.analysis)],
    shape: describeShape(run.analysis),
    drift: disagreements(policy.analysis, run.analysis),
  });
}

async function readAndRecord(
  deps: LearnDeps,
  policy: ServicePolicy,
  cluster: RunbookCluster,
  service: ServiceId,
  number: number,
): Promise<Pick<Run, 'analysis'> | undefined> {
  const [namespace = '', name = ''] = service.split('/');
  const canary = await cluster.read({ kind: 'Canary', namespace, name });
  if (isClusterFailure(canary)) {
    const fallback = describeShape(analysisOf(policy));
    // The apiserver's (or the client's) error can be pages long: the thread gets its start.
    const error = bounded(canary.error, TEXT_LIMITS.reason);
    await publish(deps, { type: 'analysis-unread', service, run: number, error, fallback });
    return undefined;
  }
  const analysis = shapeOfCanary(canary);
  return updateRun(deps.store, service, number, (r) =>
    r.analysis || r.state === 'ended' ? undefined : { ...r, analysis },
  );
}
