import type { ServiceId } from './flagger';

export const METRICS = ['successRate', 'p95LatencyMs', 'errorRate', 'requestRate'] as const;
export type MetricName = (typeof METRICS)[number];

export const METRIC_INFO: Record<MetricName, { label: string; unit: '%' | 'ms' | 'req/s' }> = {
  successRate: { label: 'Success rate', unit: '%' },
  p95LatencyMs: { label: 'p95 latency', unit: 'ms' },
  errorRate: { label: 'Error rate', unit: '%' },
  requestRate: { label: 'Request rate', unit: 'req/s' },
};

/** An SLO bound: success rate at least `value`, latency and error rate below it. */
export interface Slo {
  op: '>=' | '<';
  value: number;
}

/** One value from the metrics backend, or why there is none (no series, NaN, backend down, timeout...). */
export type Reading = { value: number } | { value: null; reason: string };

export interface MetricSnapshot {
  metric: MetricName;
  canary: Reading;
  primary: Reading;
  slo?: Slo;
  /** The canary's value against the SLO; `info` for metrics without one. */
  verdict: 'pass' | 'fail' | 'no-data' | 'info';
  /** Points over the analysis window, oldest first; null where there was no sample. */
  trend: { canary: (number | null)[]; primary: (number | null)[] };
}

export interface TrafficSplit {
  canary: number;
  primary: number;
  from: 'virtualservice' | 'request-rate';
}

export interface Snapshot {
  service: ServiceId;
  takenAt: string;
  /** Where the numbers came from, for the audit trail (e.g. the Prometheus URL). */
  source: string;
  window: { seconds: number; stepSeconds: number };
  /** The canary weight the bot knew when it took the snapshot. */
  weight?: number;
  metrics: MetricSnapshot[];
  split?: TrafficSplit;
  /** Why the split comes from request rates although a cluster is configured (the VirtualService was unreadable). */
  splitNote?: string;
  verdict: 'pass' | 'fail' | 'no-data';
}

export const sloFor = (
  metric: MetricName,
  slo: { successRate: number; p95LatencyMs: number; errorRate: number },
): Slo | undefined => {
  switch (metric) {
    case 'successRate':
      return { op: '>=', value: slo.successRate };
    case 'p95LatencyMs':
      return { op: '<', value: slo.p95LatencyMs };
    case 'errorRate':
      return { op: '<', value: slo.errorRate };
    case 'requestRate':
      return undefined;
  }
};

export function judgeMetric(canary: Reading, slo: Slo | undefined): MetricSnapshot['verdict'] {
  if (!slo) return 'info';
  if (canary.value === null) return 'no-data';
  const ok = slo.op === '>=' ? canary.value >= slo.value : canary.value < slo.value;
  return ok ? 'pass' : 'fail';
}

/** A failing metric fails the snapshot; otherwise a missing one makes it unknown: gates never open on a gap. */
export function judgeSnapshot(metrics: readonly MetricSnapshot[]): Snapshot['verdict'] {
  if (metrics.some((m) => m.verdict === 'fail')) return 'fail';
  if (metrics.some((m) => m.verdict === 'no-data')) return 'no-data';
  return 'pass';
}

/** The split by request rate, when no cluster tells the VirtualService weights. */
export function splitFromRates(canary: Reading, primary: Reading): TrafficSplit | undefined {
  if (canary.value === null || primary.value === null) return undefined;
  const total = canary.value + primary.value;
  if (total <= 0) return undefined;
  const share = Math.round((canary.value / total) * 1000) / 10;
  return { canary: share, primary: Math.round((100 - share) * 10) / 10, from: 'request-rate' };
}
