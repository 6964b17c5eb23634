import type { Cluster, RunbookCluster } from './ports/cluster';
import type { Job } from './ports/queue';
import { doctorMessage } from './slack/doctor-message';
import { runJob, type ThreadDeps } from './slack/thread-presenter';
import type { CoreDeps } from './usecases/deps';
import { runDoctor } from './usecases/doctor';
import { learnAnalysis } from './usecases/learn-analysis';
import { type Continued, continueRunbook, type ExecutorOptions } from './usecases/runbook-executor';

/** What the worker runs jobs with: the Slack presenter's deps and the core's (a runbook job queues its next one). */
export type WorkerDeps = ThreadDeps & CoreDeps;

const RUNBOOK_VERBS = [
  'setWeights',
  'scale',
  'mergePatch',
  'annotate',
  'canaryState',
  'deploymentState',
  'read',
  'listDestinationRules',
  'listPeerAuthentications',
];

const hasRunbookVerbs = (cluster: Cluster): cluster is RunbookCluster =>
  RUNBOOK_VERBS.every((verb) => typeof (cluster as unknown as Record<string, unknown>)[verb] === 'function');

const checked = new WeakMap<ReadonlyMap<string, Cluster>, ReadonlyMap<string, RunbookCluster>>();

/**
 * The clusters whose adapter has the runbook verbs: any other is absent to runbooks, whose cluster steps then say
 * so (skipped), while snapshots still read its traffic split. Once every adapter is a RunbookCluster this is the map
 * itself; it only keeps a read-only adapter from failing a rollback half-way with a TypeError.
 */
export function runbookClusters(
  clusters: ReadonlyMap<string, Cluster> | undefined,
): ReadonlyMap<string, RunbookCluster> {
  if (!clusters) return new Map();
  let found = checked.get(clusters);
  if (!found) {
    found = new Map([...clusters].filter((entry): entry is [string, RunbookCluster] => hasRunbookVerbs(entry[1])));
    checked.set(clusters, found);
  }
  return found;
}

/**
 * The worker's dispatcher: a runbook job advances its execution (the core's work); every other job is the Slack
 * presenter's. One entry for SQS and the local outbox alike, so both run the same runbooks the same way.
 */
export async function runWorkerJob(
  deps: WorkerDeps,
  job: Job,
  options: ExecutorOptions = {},
): Promise<Continued | undefined> {
  if (job.kind === 'runbook') {
    return continueRunbook({ ...deps, clusters: runbookClusters(deps.clusters) }, job, options);
  }
  if (job.kind === 'doctor-for-user') {
    const report = await runDoctor({ config: deps.config, clusters: runbookClusters(deps.clusters) }, job.service);
    await deps.chat.postEphemeral(job.channel, job.user, doctorMessage(report));
    return undefined;
  }
  if (job.kind === 'event' && job.event.type === 'run-started') {
    // Before the status message is posted, so that it shows the strategy the run really follows.
    await learnAnalysis({ ...deps, clusters: runbookClusters(deps.clusters) }, job.service, job.event.run);
  }
  await runJob(deps, job);
  return undefined;
}
