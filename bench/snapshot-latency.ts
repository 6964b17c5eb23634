import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PrometheusMetrics } from '../shared/adapters/prometheus-metrics';
import { takeSnapshot } from '../shared/usecases/snapshot';
import { aPolicy } from '../testkit/builders';
import { istioOpenMetrics } from '../testkit/istio-series';
import { startPrometheus } from '../testkit/prometheus';

/**
 * Snapshot latency against a real local Prometheus (Debian 2.42) holding 3 hours of Istio series for a canary and
 * its primary: 16 queries per snapshot (4 metrics x 2 workloads, instant + 10-minute range), all at once.
 */
const RUNS = Number(process.env.RUNS ?? 50);

async function main(): Promise<void> {
  const now = Date.now();
  const file = join(mkdtempSync(join(tmpdir(), 'bench-series-')), 'istio.om');
  const latency = { 50: 0.5, 100: 0.3, 250: 0.2 };
  writeFileSync(
    file,
    istioOpenMetrics({
      namespace: 'production',
      workloads: [
        { name: 'product-service', rps: 20, errorRatio: 0.004, latency },
        { name: 'product-service-primary', rps: 80, errorRatio: 0.001, latency },
      ],
      from: new Date(now - 3 * 3_600_000),
      to: new Date(now - 30_000),
      stepSeconds: 15,
    }),
  );
  const prometheus = await startPrometheus({ blocksFrom: file });
  try {
    const metrics = new PrometheusMetrics({ baseUrl: prometheus.url, timeoutMs: 2000 });
    const policy = aPolicy();
    const at = () => new Date(Date.now() - 90_000);
    const samples: number[] = [];
    let verdict = '';
    for (let i = 0; i < RUNS + 5; i++) {
      const t0 = performance.now();
      const snapshot = await takeSnapshot(metrics, policy, at(), 20);
      if (i >= 5) samples.push(performance.now() - t0); // the first few warm up connections and Prometheus caches
      verdict = snapshot.verdict;
    }
    samples.sort((a, b) => a - b);
    const q = (p: number) => (samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0).toFixed(1);
    console.log(
      `node ${process.version}, ${RUNS} snapshots (16 queries each) against ${prometheus.url}, verdict ${verdict}`,
    );
    console.log(`snapshot latency: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (target: p95 < 300 ms)`);
  } finally {
    await prometheus.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
