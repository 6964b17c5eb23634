import type { ServicePolicy } from '../domain/policy';
import { DEFAULT_QUERIES, renderQuery } from '../domain/queries';
import {
  judgeMetric,
  judgeSnapshot,
  METRICS,
  type MetricName,
  type MetricSnapshot,
  type Snapshot,
  sloFor,
  splitFromRates,
} from '../domain/snapshot';
import type { Cluster } from '../ports/cluster';
import type { MetricsSource } from '../ports/metrics';

/**
 * Canary against primary for every metric, now and over the analysis window, judged against the service's SLOs.
 * All queries run at once. A backend failure becomes a reading with its reason: the snapshot says what is missing.
 * The traffic split is the VirtualService's when a cluster is given (as Flagger sees it), else the request rates'.
 */
export async function takeSnapshot(
  metrics: MetricsSource,
  policy: ServicePolicy,
  at: Date,
  weight?: number,
  cluster?: Cluster,
): Promise<Snapshot> {
  const namespace = policy.service.split('/')[0] ?? '';
  const workloads = { canary: policy.target, primary: `${policy.target}-primary` };
  const { window, step, interval } = policy.metrics;
  const start = new Date(at.getTime() - window);
  const stepSeconds = Math.max(1, Math.round(step / 1000));

  const measure = async (metric: MetricName): Promise<MetricSnapshot> => {
    const template = policy.metrics.queries[metric] ?? DEFAULT_QUERIES[metric];
    const query = (workload: string) => renderQuery(template, { namespace, workload, interval });
    const [canary, primary, canaryTrend, primaryTrend] = await Promise.all([
      metrics.instant(query(workloads.canary), at),
      metrics.instant(query(workloads.primary), at),
      metrics.range(query(workloads.canary), start, at, stepSeconds),
      metrics.range(query(workloads.primary), start, at, stepSeconds),
    ]);
    const slo = sloFor(metric, policy.slo);
    const snapshot: MetricSnapshot = {
      metric,
      canary,
      primary,
      verdict: judgeMetric(canary, slo),
      trend: { canary: canaryTrend, primary: primaryTrend },
    };
    if (slo) snapshot.slo = slo;
    return snapshot;
  };

  const [measured, live] = await Promise.all([
    Promise.all(METRICS.map(measure)),
    cluster?.trafficSplit(namespace, policy.target),
  ]);
  const rate = measured.find((m) => m.metric === 'requestRate');
  const split = live && !('error' in live) ? live : rate && splitFromRates(rate.canary, rate.primary);
  const snapshot: Snapshot = {
    service: policy.service,
    takenAt: at.toISOString(),
    source: metrics.description,
    window: { seconds: Math.round(window / 1000), stepSeconds },
    metrics: measured,
    verdict: judgeSnapshot(measured),
  };
  if (split) snapshot.split = split;
  if (live && 'error' in live) snapshot.splitNote = live.error;
  if (weight !== undefined) snapshot.weight = weight;
  return snapshot;
}
