import type { RunbookStep } from '../domain/runbook';
import { type ClusterFailure, isClusterFailure } from '../ports/cluster';
import { failure, noCluster, resolveName, type StepContext, type StepOutcome } from './runbook-step-context';

type WaitStep = Extract<RunbookStep, { kind: 'wait' }>;
type Condition = WaitStep['until'];

/** One look at the condition: whether it holds, and the state seen, in plain words. */
interface Check {
  done: boolean;
  state: string;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** What the step waits for, as the dry run and the timeout say it. */
function wanted(until: Condition, name: string): string {
  switch (until.condition) {
    case 'canary-phase':
      return `the Canary is ${until.phase}`;
    case 'deployment-ready':
      return `Deployment ${name} is ready`;
    case 'deployment-scaled-to-zero':
      return `Deployment ${name} is scaled to 0`;
  }
}

async function check(ctx: StepContext, until: Condition, name: string): Promise<Check | ClusterFailure> {
  const cluster = ctx.cluster;
  if (!cluster) throw new Error('check without a cluster');
  const namespace = ctx.names.namespace;
  if (until.condition === 'canary-phase') {
    const canary = await cluster.canaryState(namespace, ctx.names.service);
    if (isClusterFailure(canary)) return canary;
    return { done: canary.phase === until.phase, state: canary.phase ?? 'without a phase' };
  }
  const deployment = await cluster.deploymentState(namespace, name);
  if (isClusterFailure(deployment)) return deployment;
  const state = `${deployment.readyReplicas}/${deployment.replicas} ready`;
  if (until.condition === 'deployment-ready') {
    const ready = deployment.replicas > 0 && deployment.readyReplicas >= deployment.replicas;
    return { done: ready && deployment.updatedReplicas >= deployment.replicas, state };
  }
  return { done: deployment.replicas === 0 && deployment.readyReplicas === 0, state };
}

/**
 * Polls every `pollMs` until the condition holds, at most the step's timeout (counted from its first start, across
 * re-queued jobs) and never past the run's deadline. Past this job's budget it hands back a `budget` hold: the
 * executor checkpoints and re-queues instead of keeping the worker. A dry run looks once and says what it saw.
 */
export async function waitFor(ctx: StepContext, step: WaitStep): Promise<StepOutcome> {
  if (!ctx.cluster) return noCluster(ctx);
  const until = step.until;
  const name = 'deployment' in until ? resolveName(until.deployment, ctx.names) : ctx.names.service;
  const now = () => ctx.deps.now().getTime();
  if (ctx.execution.dryRun) {
    const seen = await check(ctx, until, name);
    if (isClusterFailure(seen)) return failure(seen);
    return {
      status: 'dry-run',
      detail: `would wait up to ${seconds(step.timeout)} until ${wanted(until, name)}; now ${seen.state}`,
    };
  }
  const runDeadline = Date.parse(ctx.execution.deadline);
  const stepDeadline = ctx.firstStart + step.timeout;
  const deadline = Math.min(stepDeadline, runDeadline);
  for (;;) {
    const seen = await check(ctx, until, name);
    if (isClusterFailure(seen)) return failure(seen);
    const at = now();
    if (seen.done) return { status: 'ok', detail: `${wanted(until, name)} after ${seconds(at - ctx.firstStart)}` };
    if (at + ctx.pollMs > deadline) {
      const limit = stepDeadline <= runDeadline ? '' : " (the runbook's whole-run timeout)";
      return { status: 'failed', detail: `still ${seen.state} after ${seconds(at - ctx.firstStart)}${limit}` };
    }
    if (at + ctx.pollMs > ctx.budgetEnd) return { hold: 'budget' };
    await ctx.sleep(ctx.pollMs);
  }
}
