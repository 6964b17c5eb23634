import { join } from 'node:path';
import { BIN_DIR } from './cluster';
import { assertAlive, type Child, freePort, startChild, waitFor } from './processes';

export interface Flagger {
  child: Child;
  /** Flagger's own /metrics (flagger_canary_weight, flagger_canary_status, ...) */
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Flagger v1.44 outside the cluster (flags from cmd/flagger/main.go). With Istio as the mesh provider it only
 * reads and writes objects through the apiserver and queries Prometheus; no Istio control plane is needed.
 */
export async function startFlagger(options: {
  kubeconfig: string;
  metricsServer: string;
  interval?: string;
  logDir: string;
}): Promise<Flagger> {
  const port = await freePort();
  const child = startChild(
    'flagger',
    join(BIN_DIR, 'flagger'),
    [
      `-kubeconfig=${options.kubeconfig}`,
      '-mesh-provider=istio',
      `-metrics-server=${options.metricsServer}`,
      `-control-loop-interval=${options.interval ?? '10s'}`,
      '-log-level=info',
      `-port=${port}`,
      '-zap-encoding=console',
    ],
    options.logDir,
  );
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // /healthz answers once the informers have synced and the HTTP server is up: the CRDs are served by then.
  await waitFor(
    'Flagger /healthz',
    async () => {
      assertAlive(child);
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined;
    },
    { timeoutMs: 60_000, describe: () => child.tail() },
  );
  return { child, metricsUrl, stop: () => child.stop() };
}
