import { MemoryStore } from '../../shared/adapters/memory-store';
import { parseConfig } from '../../shared/config/load';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { MetricsSource } from '../../shared/ports/metrics';
import type { Job } from '../../shared/ports/queue';
import { continueRunbook, type ExecutorOptions, type RunbookJob } from '../../shared/usecases/runbook-executor';
import { startRunbook } from '../../shared/usecases/runbook-start';
import type { RunbookDeps } from '../../shared/usecases/runbook-steps';
import { aRun } from '../../testkit/builders';
import { deployment, FakeCluster } from './fake-cluster';

export const SERVICE = 'production/product-service';
export const NS = 'production';
export const T0 = Date.parse('2026-12-03T10:00:00.000Z');

/** A configuration with one service on cluster `dev` (or none), and the runbooks given as YAML lines. */
export function runbookConfig(
  runbookLines: string[] = [],
  options: { cluster?: boolean; prometheus?: boolean; approvers?: string[] } = {},
) {
  const cluster = options.cluster ?? true;
  return parseConfig(
    [
      ...(options.prometheus ? ['prometheus:', '  url: http://127.0.0.1:9'] : []),
      ...(cluster ? ['clusters:', '  dev: { kubeconfig: kubeconfig.yaml }'] : []),
      ...(runbookLines.length > 0 ? ['runbooks:', ...runbookLines.map((l) => `  ${l}`)] : []),
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      ...(cluster ? ['    cluster: dev'] : []),
      ...(options.approvers ? [`    approvers: { users: [${options.approvers.join(', ')}] }`] : []),
    ].join('\n'),
  );
}

/**
 * The executor's world in memory: a MemoryStore with release #1 in flight, a FakeCluster in the state a failing
 * canary leaves (weights 50/50, both Deployments up), a clock that only `sleep` and `advance` move, and a queue
 * that records jobs (events included) without running them.
 */
export function runbookWorld(
  options: {
    lines?: string[];
    cluster?: boolean;
    metrics?: MetricsSource;
    store?: MemoryStore;
    approvers?: string[];
  } = {},
) {
  const store = options.store ?? new MemoryStore();
  const cluster = new FakeCluster();
  cluster.weights.set(`${NS}/product-service`, { primary: 50, canary: 50 });
  cluster.deployments.set(`${NS}/product-service`, deployment(2));
  cluster.deployments.set(`${NS}/product-service-primary`, deployment(2));
  cluster.canaries.set(`${NS}/product-service`, { phase: 'Progressing', canaryWeight: 50, failedChecks: 1 });
  const jobs: Job[] = [];
  const clock = { ms: T0 };
  const withCluster = options.cluster ?? true;
  const deps: RunbookDeps = {
    config: runbookConfig(options.lines, {
      cluster: withCluster,
      prometheus: options.metrics !== undefined,
      ...(options.approvers ? { approvers: options.approvers } : {}),
    }),
    store,
    queue: { send: async (job) => void jobs.push(job) },
    now: () => new Date(clock.ms),
    clusters: withCluster ? new Map([['dev', cluster]]) : new Map(),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  };
  const sleep = async (ms: number) => {
    clock.ms += ms;
  };
  const run = aRun({ service: SERVICE, state: 'progressing', phase: 'Progressing', weight: 50 });

  return {
    store,
    cluster,
    jobs,
    clock,
    deps,
    sleep,
    advance: (ms: number) => {
      clock.ms += ms;
    },
    events: (): ReleaseEvent[] => jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : [])),
    runbookJobs: (): RunbookJob[] => jobs.flatMap((j) => (j.kind === 'runbook' ? [j] : [])),
    async start(runbook = 'rollback', request: { dryRun?: boolean; id?: string } = {}): Promise<RunbookJob> {
      if (!(await store.getRun(SERVICE, 1))) await store.startRun(run, 0);
      const id = request.id ?? runbook;
      const started = await startRunbook(deps, {
        service: SERVICE,
        run: 1,
        runbook,
        id,
        dryRun: request.dryRun ?? false,
        trigger: { cause: 'alert', by: 'alertmanager', reason: 'CanaryErrorRate firing' },
      });
      if (!started) throw new Error(`runbook ${runbook} is not configured`);
      return { kind: 'runbook', service: SERVICE, run: 1, execution: id };
    },
    continue: (job: RunbookJob, more: ExecutorOptions = {}) =>
      continueRunbook(deps, job, { sleep, pollMs: 250, ...more }),
    execution: (id = 'rollback') => store.getExecution(SERVICE, 1, id),
    stepAudits: async () =>
      (await store.listAudit(SERVICE, 100))
        .reverse()
        .filter((e) => e.action.startsWith('runbook'))
        .map((e) => `${e.action}: ${e.detail}`),
  };
}
