import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alertmanager, AlertRecorder, startAlertmanager } from './alertmanager';
import { applyCrds, buildInfo, type Cluster, startCluster } from './cluster';
import { type Flagger, startFlagger } from './flagger';
import { type Prometheus, startPrometheus } from './prometheus';
import { StatusKeeper } from './status-keeper';
import { type TrafficSettings, TrafficSimulator } from './traffic';

export { AlertRecorder } from './alertmanager';
export { KubeClient, KubeError } from './kube';
export { waitFor } from './processes';

export interface Environment {
  workDir: string;
  logDir: string;
  cluster: Cluster;
  keeper: StatusKeeper;
  /** the first Canary's traffic simulator */
  traffic: TrafficSimulator;
  /** one traffic simulator per Canary, in the order of `canaries` (all scraped by the one Prometheus) */
  traffics: TrafficSimulator[];
  prometheus: Prometheus;
  flagger: Flagger;
  /** With `alerting`: Alertmanager, and the recorder it posts to (in front of the bot) */
  alerting?: { alertmanager: Alertmanager; recorder: AlertRecorder };
  /** Seconds each part took to start, for the report. */
  timings: Record<string, number>;
  /** The tail of each child's log: for failure messages. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

/** One Canary the environment serves traffic for. */
export interface CanaryTraffic {
  namespace: string;
  service: string;
  target?: string;
  traffic?: Partial<TrafficSettings>;
}

export interface EnvironmentOptions {
  /** the Canary the traffic simulator serves (unless `canaries` lists several) */
  namespace?: string;
  service?: string;
  target?: string;
  traffic?: Partial<TrafficSettings>;
  /** several Canaries in one environment, each with its own traffic simulator; the alert rule is the first one's */
  canaries?: CanaryTraffic[];
  /** Flagger's -control-loop-interval */
  interval?: string;
  /**
   * Prometheus evaluates the canary's error-ratio rule (prometheus.ts) and Alertmanager posts what fires to
   * `<forwardTo()>/alertmanager` with the bearer `token`, through a recorder; without `forwardTo` the recorder
   * answers 200 itself.
   */
  alerting?: { token: string; forwardTo?: () => string; window?: string; threshold?: number };
  /** keep the work folder (logs, etcd data) after stop; also E2E_KEEP=1 */
  keep?: boolean;
}

/**
 * The real counterparts on loopback: etcd + kube-apiserver (RBAC, client certificates, Flagger's and Istio's
 * CRDs), a status keeper in place of controllers and kubelets, a traffic simulator exporting Istio's metrics,
 * Prometheus scraping it, and Flagger. Everything started is stopped by `stop()`, also when starting fails.
 */
export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const info = buildInfo();
  const workDir = mkdtempSync(join(tmpdir(), 'release-bot-e2e-'));
  const logDir = workDir;
  const timings: Record<string, number> = {};
  const stops: (() => Promise<void>)[] = [];
  const children: { name: string; tail(n?: number): string; logFile: string }[] = [];
  const keep = options.keep ?? process.env.E2E_KEEP === '1';
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch (error) {
        console.error(`e2e: stopping failed: ${(error as Error).message}`);
      }
    }
    if (!keep) rmSync(workDir, { recursive: true, force: true });
    else console.error(`e2e: kept ${workDir}`);
  };
  const timed = async <T>(name: string, step: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const value = await step();
    timings[name] = (Date.now() - started) / 1000;
    return value;
  };
  const canaries: CanaryTraffic[] = options.canaries ?? [];
  if (!options.canaries) {
    if (!options.namespace || !options.service) throw new Error('startEnvironment: namespace and service, or canaries');
    canaries.push({
      namespace: options.namespace,
      service: options.service,
      ...(options.target ? { target: options.target } : {}),
      ...(options.traffic ? { traffic: options.traffic } : {}),
    });
  }
  const first = canaries[0];
  if (!first) throw new Error('startEnvironment: no Canary to serve');
  const logs = (lines = 25) => children.map((c) => `--- ${c.name} (${c.logFile}) ---\n${c.tail(lines)}`).join('\n');

  try {
    const cluster = await timed('cluster', () => startCluster(workDir, logDir));
    stops.push(() => cluster.stop());
    children.push(...cluster.children);
    await timed('crds', () => applyCrds(cluster.admin, info));

    const keeper = new StatusKeeper(cluster.admin);
    keeper.start();
    stops.push(() => keeper.stop());

    const traffics: TrafficSimulator[] = [];
    const exporters: string[] = [];
    for (const c of canaries) {
      const traffic = new TrafficSimulator(cluster.admin, c.namespace, c.service, c.target ?? c.service, c.traffic);
      exporters.push(await traffic.start());
      stops.push(() => traffic.stop());
      traffics.push(traffic);
    }

    let alerting: Environment['alerting'];
    if (options.alerting) {
      const recorder = new AlertRecorder(options.alerting.forwardTo);
      const receiver = await recorder.start();
      stops.push(() => recorder.stop());
      const { token } = options.alerting;
      const alertmanager = await timed('alertmanager', () =>
        startAlertmanager(workDir, logDir, { webhookUrl: `${receiver}/alertmanager`, token }),
      );
      stops.push(() => alertmanager.stop());
      children.push(alertmanager.child);
      alerting = { alertmanager, recorder };
    }

    const target = first.target ?? first.service;
    const rule = options.alerting && {
      namespace: first.namespace,
      canary: first.service,
      target,
      ...(options.alerting.window ? { window: options.alerting.window } : {}),
      ...(options.alerting.threshold ? { threshold: options.alerting.threshold } : {}),
    };
    const prometheus = await timed('prometheus', () =>
      startPrometheus(
        workDir,
        logDir,
        exporters,
        alerting && rule ? { alertmanager: new URL(alerting.alertmanager.url).host, rule } : undefined,
      ),
    );
    stops.push(() => prometheus.stop());
    children.push(prometheus.child);

    const flagger = await timed('flagger', () =>
      startFlagger({
        kubeconfig: cluster.adminKubeconfig,
        metricsServer: prometheus.url,
        logDir,
        ...(options.interval ? { interval: options.interval } : {}),
      }),
    );
    stops.push(() => flagger.stop());
    children.push(flagger.child);

    return {
      workDir,
      logDir,
      cluster,
      keeper,
      traffic: traffics[0] as TrafficSimulator,
      traffics,
      prometheus,
      flagger,
      ...(alerting ? { alerting } : {}),
      timings,
      logs,
      stop,
    };
  } catch (error) {
    const detail = logs(40);
    await stop();
    throw new Error(`${(error as Error).message}\n${detail}`);
  }
}
