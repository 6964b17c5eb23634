import { bounded, TEXT_LIMITS } from '../domain/bounds';
import { analysisChecks } from '../domain/doctor-analysis';
import { webhookChecks } from '../domain/doctor-webhooks';
import type { ServiceId } from '../domain/flagger';
import { analysisOf, type ServicePolicy } from '../domain/policy';
import {
  type AnalysisShape,
  describeShape,
  disagreements,
  STRATEGY_NAMES,
  shapeOfCanary,
  strategyOf,
} from '../domain/strategy';
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
  const read = recorded
    ? { analysis: recorded, problems: [] }
    : await readAndRecord(deps, policy, cluster, service, number);
  if (!read?.analysis) return;
  await publish(deps, {
    type: 'analysis-read',
    service,
    run: number,
    strategy: STRATEGY_NAMES[strategyOf(read.analysis)],
    shape: describeShape(read.analysis),
    drift: disagreements(policy.analysis, read.analysis),
    problems: read.problems,
  });
}

/** At most this many of the Canary's failing checks are told at the start of a release; the doctor tells them all. */
const PROBLEMS_TOLD = 5;
/** A check quotes the Canary (webhook names, URLs): each line is cut to this many characters. */
const PROBLEM_LENGTH = 300;

async function readAndRecord(
  deps: LearnDeps,
  policy: ServicePolicy,
  cluster: RunbookCluster,
  service: ServiceId,
  number: number,
): Promise<{ analysis: AnalysisShape | undefined; problems: string[] } | undefined> {
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
  const run = await updateRun(deps.store, service, number, (r) =>
    r.analysis || r.state === 'ended' ? undefined : { ...r, analysis },
  );
  // What would make this release go wrong (no rollback hook, a gate still on the loadtester, a step Flagger never
  // takes), told as it starts rather than found out at the gate; the doctor's own wording, failures only.
  const problems = [...analysisChecks(policy, canary), ...webhookChecks(policy, canary)]
    .filter((check) => check.status === 'fail')
    .slice(0, PROBLEMS_TOLD)
    .map((check) => bounded(`${check.subject}: ${check.found} (${check.fix ?? 'see /canary doctor'})`, PROBLEM_LENGTH));
  return { analysis: run?.analysis, problems };
}
