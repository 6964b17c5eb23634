import type { ServicePolicy } from '../domain/policy';
import type { RunbookExecution, StepStatus } from '../domain/runbook';
import type { ClusterFailure, RunbookCluster } from '../ports/cluster';
import type { CoreDeps } from './deps';

/** What the executor needs: the core's deps and the configured clusters by name (only the worker has these). */
export interface RunbookDeps extends CoreDeps {
  clusters: ReadonlyMap<string, RunbookCluster>;
}

/** The names a step's placeholders stand for, for one service. */
export interface StepNames {
  namespace: string;
  /** `{canary}`: the Canary's target Deployment. */
  canary: string;
  /** `{primary}`: the Deployment Flagger made of it. */
  primary: string;
  /** `{service}`: the Canary's name, also its VirtualService. */
  service: string;
}

export interface StepContext {
  deps: RunbookDeps;
  execution: RunbookExecution;
  policy: ServicePolicy;
  /** The service's cluster; undefined when none is configured (then cluster steps are skipped, issue part 6). */
  cluster: RunbookCluster | undefined;
  names: StepNames;
  /** When this step first started, ms: a wait re-queued at the budget keeps counting its timeout from here. */
  firstStart: number;
  /** Until when this job may hold the worker, ms. */
  budgetEnd: number;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
}

/** A step's end, or a hold: waiting for a person (`confirm`), or out of this job's budget (`budget`, re-queued). */
export type StepOutcome = { status: StepStatus; detail: string } | { hold: 'confirm' | 'budget' };

export const namesOf = (policy: ServicePolicy): StepNames => {
  const [namespace = '', service = ''] = policy.service.split('/');
  return { namespace, canary: policy.target, primary: `${policy.target}-primary`, service };
};

/** A step's object name with its placeholder resolved. */
export function resolveName(name: string, names: StepNames): string {
  if (name === '{canary}') return names.canary;
  if (name === '{primary}') return names.primary;
  if (name === '{service}') return names.service;
  return name;
}

export const noCluster = (ctx: StepContext): StepOutcome => ({
  status: 'skipped',
  detail: ctx.policy.cluster
    ? `cluster ${ctx.policy.cluster} cannot run runbook steps`
    : `no cluster is configured for ${ctx.policy.service}`,
});

export const failure = (f: ClusterFailure): StepOutcome => ({ status: 'failed', detail: f.error });
