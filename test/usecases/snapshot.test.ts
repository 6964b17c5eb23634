import type { Reading } from '../../shared/domain/snapshot';
import { headline } from '../../shared/domain/snapshot-text';
import type { MetricsSource } from '../../shared/ports/metrics';
import { snapshotBlocks } from '../../shared/slack/snapshot-blocks';
import { takeSnapshot } from '../../shared/usecases/snapshot';
import { aPolicy } from '../../testkit/builders';

const AT = new Date('2026-11-28T12:00:00.000Z');

/** Answers by (metric, workload): the metric is told apart by its PromQL, the workload by its label. */
function fakeMetrics(values: Record<string, Reading>): MetricsSource & { queries: string[] } {
  const queries: string[] = [];
  const key = (query: string) => {
    const workload = /destination_workload="([^"]+)"/.exec(query)?.[1] ?? '?';
    const metric = query.includes('histogram_quantile')
      ? 'p95'
      : query.includes('response_code!~')
        ? 'success'
        : query.includes('response_code=~')
          ? 'error'
          : 'rate';
    return `${metric}:${workload}`;
  };
  return {
    description: 'fake',
    queries,
    instant: async (query) => {
      queries.push(query);
      return values[key(query)] ?? { value: null, reason: 'no data: the query returned no series' };
    },
    range: async (query, start, end, step) => {
      const reading = values[key(query)];
      const points = Math.floor((end.getTime() - start.getTime()) / 1000 / step) + 1;
      return Array.from({ length: points }, () => reading?.value ?? null);
    },
  };
}

const healthy = {
  'success:product-service': { value: 99.5 },
  'success:product-service-primary': { value: 99.9 },
  'error:product-service': { value: 0.5 },
  'error:product-service-primary': { value: 0.1 },
  'p95:product-service': { value: 180 },
  'p95:product-service-primary': { value: 150 },
  'rate:product-service': { value: 20 },
  'rate:product-service-primary': { value: 80 },
};

describe('Function: takeSnapshot', () => {
  it('measures canary and primary workloads of the service against its SLOs, with the split from request rates', async () => {
    const metrics = fakeMetrics(healthy);

    const snapshot = await takeSnapshot(metrics, aPolicy(), AT, 20);

    expect(snapshot.verdict).toBe('pass');
    expect(snapshot.metrics.map((m) => [m.metric, m.canary, m.primary, m.verdict])).toEqual([
      ['successRate', { value: 99.5 }, { value: 99.9 }, 'pass'],
      ['p95LatencyMs', { value: 180 }, { value: 150 }, 'pass'],
      ['errorRate', { value: 0.5 }, { value: 0.1 }, 'pass'],
      ['requestRate', { value: 20 }, { value: 80 }, 'info'],
    ]);
    expect(snapshot.split).toEqual({ canary: 20, primary: 80, from: 'request-rate' });
    expect(snapshot.window).toEqual({ seconds: 600, stepSeconds: 30 });
    expect(snapshot.metrics[0]?.trend.canary).toHaveLength(21);
    expect(snapshot).toMatchObject({ service: 'production/product-service', takenAt: AT.toISOString(), weight: 20 });
    expect(metrics.queries.every((q) => q.includes('destination_workload_namespace="production"'))).toBe(true);
    expect(metrics.queries.some((q) => q.includes('[1m]'))).toBe(true);
  });

  it('fails on a canary metric outside its SLO, naming it', async () => {
    const metrics = fakeMetrics({ ...healthy, 'error:product-service': { value: 2.5 } });

    const snapshot = await takeSnapshot(metrics, aPolicy(), AT);

    expect(snapshot.verdict).toBe('fail');
    expect(headline(snapshot)).toBe('Error rate fails its SLO');
  });

  it('is no-data, with the reason, when a metric is missing: a gap never passes', async () => {
    const metrics = fakeMetrics({
      ...healthy,
      'p95:product-service': { value: null, reason: 'Prometheus timed out after 2000 ms' },
    });

    const snapshot = await takeSnapshot(metrics, aPolicy(), AT);

    expect(snapshot.verdict).toBe('no-data');
    expect(headline(snapshot)).toBe('No data for p95 latency: Prometheus timed out after 2000 ms');
  });

  it('uses the configured target and query overrides', async () => {
    const metrics = fakeMetrics(healthy);
    const policy = aPolicy({
      target: 'product-api',
      metrics: {
        interval: '30s',
        window: 60_000,
        step: 10_000,
        queries: { requestRate: 'sum(rate(my_requests{app="{{workload}}"}[{{interval}}]))' },
      },
    });

    await takeSnapshot(metrics, policy, AT);

    expect(metrics.queries).toContain('sum(rate(my_requests{app="product-api"}[30s]))');
    expect(metrics.queries).toContain('sum(rate(my_requests{app="product-api-primary"}[30s]))');
  });
});

describe('Function: takeSnapshot (traffic split from the cluster)', () => {
  it("takes the split from Flagger's VirtualService when a cluster is given", async () => {
    const cluster = { trafficSplit: async () => ({ canary: 30, primary: 70, from: 'virtualservice' as const }) };

    const snapshot = await takeSnapshot(fakeMetrics(healthy), aPolicy(), AT, 30, cluster);

    expect(snapshot.split).toEqual({ canary: 30, primary: 70, from: 'virtualservice' });
    expect(snapshot).not.toHaveProperty('splitNote');
  });

  it('falls back to the request-rate split, saying why, when the VirtualService cannot be read', async () => {
    const error = 'the bot may not read VirtualService production/product-service (403 Forbidden)';
    const cluster = { trafficSplit: async () => ({ error }) };

    const snapshot = await takeSnapshot(fakeMetrics(healthy), aPolicy(), AT, 30, cluster);

    expect(snapshot.split).toEqual({ canary: 20, primary: 80, from: 'request-rate' });
    expect(snapshot.splitNote).toBe(error);
    expect(JSON.stringify(snapshotBlocks(snapshot))).toContain('VirtualService not read: the bot may not read');
  });
});
