/**
 * Istio-shaped series with known rates, as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 *
 * Counters grow linearly from 0 at `from`, so `rate(x[i])` is exact wherever its window holds two samples and
 * starts at or after `from` (Prometheus' extrapolation of a straight line is the line itself).
 */

/** Istio's default buckets for istio_request_duration_milliseconds, in ms (then +Inf). */
export const ISTIO_LATENCY_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
] as const;

export interface WorkloadTraffic {
  /** The `destination_workload` label, e.g. `product-service` or `product-service-primary`. */
  name: string;
  /** Requests per second, all response codes together; 0 gives series that stay at 0. */
  rps: number;
  /** Share of requests answered `errorCode` (the rest are 200), e.g. 0.02. */
  errorRatio: number;
  /** Share of requests per bucket, keyed by the bucket's upper bound in ms (one of the default buckets); sums to 1. */
  latency: Record<number, number>;
  /** The 5xx code used for errors (default 503). */
  errorCode?: string;
}

export interface IstioSeriesOptions {
  /** The `destination_workload_namespace` label. */
  namespace: string;
  workloads: WorkloadTraffic[];
  from: Date;
  /** Last sample at or before this time. */
  to: Date;
  stepSeconds: number;
}

/** One OpenMetrics document (ending `# EOF`) with every sample from `from` to `to` every `stepSeconds`. */
export function istioOpenMetrics(options: IstioSeriesOptions): string {
  const { namespace, workloads, from, to, stepSeconds } = options;
  if (!(stepSeconds > 0)) throw new Error(`stepSeconds must be positive, got ${stepSeconds}`);
  if (to.getTime() < from.getTime()) throw new Error('`to` is before `from`');
  const steps = Math.floor((to.getTime() - from.getTime()) / (stepSeconds * 1000));
  const times = Array.from({ length: steps + 1 }, (_, i) => ({
    elapsed: i * stepSeconds,
    stamp: formatNumber((from.getTime() + i * stepSeconds * 1000) / 1000),
  }));

  const requests: string[] = ['# TYPE istio_requests counter'];
  const durations: string[] = ['# TYPE istio_request_duration_milliseconds histogram'];
  for (const workload of workloads) {
    const shares = bucketShares(workload);
    const full = shares.findLastIndex((share) => share > 0);
    for (const [code, ratio] of codes(workload)) {
      const perSecond = workload.rps * ratio;
      const labels = [
        'reporter="destination"',
        `destination_workload_namespace="${namespace}"`,
        `destination_workload="${workload.name}"`,
        `response_code="${code}"`,
      ].join(',');
      for (const { elapsed, stamp } of times) {
        requests.push(`istio_requests_total{${labels}} ${formatNumber(perSecond * elapsed)} ${stamp}`);
      }
      for (const { elapsed, stamp } of times) {
        const count = perSecond * elapsed;
        let cumulative = 0;
        let sum = 0;
        for (const [i, le] of ISTIO_LATENCY_BUCKETS_MS.entries()) {
          const share = shares[i] ?? 0;
          cumulative += share;
          // Each request is taken to last the middle of its bucket: only _sum uses it.
          sum += share * count * ((le + (i === 0 ? 0 : (ISTIO_LATENCY_BUCKETS_MS[i - 1] ?? 0))) / 2);
          durations.push(
            `istio_request_duration_milliseconds_bucket{${labels},le="${le}"} ${formatNumber((i >= full ? 1 : cumulative) * count)} ${stamp}`,
          );
        }
        durations.push(
          `istio_request_duration_milliseconds_bucket{${labels},le="+Inf"} ${formatNumber(count)} ${stamp}`,
        );
        durations.push(`istio_request_duration_milliseconds_count{${labels}} ${formatNumber(count)} ${stamp}`);
        durations.push(`istio_request_duration_milliseconds_sum{${labels}} ${formatNumber(sum)} ${stamp}`);
      }
    }
  }
  return `${[...requests, ...durations].join('\n')}\n# EOF\n`;
}

function codes(workload: WorkloadTraffic): [string, number][] {
  if (workload.errorRatio < 0 || workload.errorRatio > 1) {
    throw new Error(`${workload.name}: errorRatio must be within 0..1, got ${workload.errorRatio}`);
  }
  // Istio has no series for a response code it never saw: a canary without errors has no 5xx series at all.
  const shares: [string, number][] = [
    ['200', 1 - workload.errorRatio],
    [workload.errorCode ?? '503', workload.errorRatio],
  ];
  return shares.filter(([, share]) => share > 0);
}

/** The share of requests in each default bucket, in bucket order. */
function bucketShares(workload: WorkloadTraffic): number[] {
  const shares: number[] = ISTIO_LATENCY_BUCKETS_MS.map(() => 0);
  let total = 0;
  for (const [key, share] of Object.entries(workload.latency)) {
    const index = ISTIO_LATENCY_BUCKETS_MS.indexOf(Number(key) as (typeof ISTIO_LATENCY_BUCKETS_MS)[number]);
    if (index < 0) throw new Error(`${workload.name}: ${key} ms is not one of Istio's default buckets`);
    shares[index] = share;
    total += share;
  }
  if (Math.abs(total - 1) > 1e-9) throw new Error(`${workload.name}: latency shares sum to ${total}, not 1`);
  return shares;
}

/** JavaScript's shortest exact form, which OpenMetrics accepts. */
function formatNumber(n: number): string {
  return String(n);
}
