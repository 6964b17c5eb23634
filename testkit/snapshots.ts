import { judgeMetric, judgeSnapshot, type MetricSnapshot, type Snapshot, sloFor } from '../shared/domain/snapshot';

const SLO = { successRate: 99, p95LatencyMs: 500, errorRate: 1 };
const TAKEN_AT = '2025-03-04T10:00:00.000Z';
/** 10 minutes every 30 s: 21 samples, the newest at TAKEN_AT. */
const POINTS = 21;

/** Deterministic wobble in [-1, 1], so fixtures look like real series without being random. */
const wobble = (i: number, seed: number): number =>
  Math.sin(i * 1.7 + seed) * 0.6 + Math.sin(i * 0.45 + seed * 2) * 0.4;
const round = (v: number, decimals: number): number => Number(v.toFixed(decimals));
const series = (f: (i: number) => number | null): (number | null)[] => Array.from({ length: POINTS }, (_, i) => f(i));

function metric(
  name: MetricSnapshot['metric'],
  canary: (number | null)[],
  primary: (number | null)[],
  reasons: { canary?: string; primary?: string } = {},
): MetricSnapshot {
  const last = (values: (number | null)[], reason?: string) => {
    const value = values.at(-1);
    return value === null || value === undefined ? { value: null, reason: reason ?? 'no sample' } : { value };
  };
  const c = last(canary, reasons.canary);
  const slo = sloFor(name, SLO);
  return {
    metric: name,
    canary: c,
    primary: last(primary, reasons.primary),
    ...(slo ? { slo } : {}),
    verdict: judgeMetric(c, slo),
    trend: { canary, primary },
  };
}

function snapshot(metrics: MetricSnapshot[], split?: Snapshot['split']): Snapshot {
  return {
    service: 'payments/api',
    takenAt: TAKEN_AT,
    source: 'http://prometheus.monitoring:9090',
    window: { seconds: 600, stepSeconds: 30 },
    metrics,
    ...(split ? { split } : {}),
    verdict: judgeSnapshot(metrics),
  };
}

/**
 * A canary going bad: its success rate slides under the 99 % SLO and its error rate over 1 % while its latency
 * climbs (still under 500 ms); two scrapes of the canary were missed mid-window. The primary holds steady.
 */
export function failingSnapshot(): Snapshot {
  const gap = (i: number) => i === 9 || i === 10;
  return snapshot(
    [
      metric(
        'successRate',
        series((i) => (gap(i) ? null : round(99.93 - (i > 8 ? (i - 8) * 0.1 : 0) + wobble(i, 1) * 0.04, 2))),
        series((i) => round(99.92 + wobble(i, 2) * 0.04, 2)),
      ),
      metric(
        'p95LatencyMs',
        series((i) => (gap(i) ? null : Math.round(182 + (i > 6 ? (i - 6) * 9 : 0) + wobble(i, 3) * 10))),
        series((i) => Math.round(175 + wobble(i, 4) * 9)),
      ),
      metric(
        'errorRate',
        series((i) => (gap(i) ? null : round(0.07 + (i > 8 ? (i - 8) * 0.1 : 0) + wobble(i, 1) * 0.03, 2))),
        series((i) => round(0.08 + wobble(i, 2) * 0.03, 2)),
      ),
      metric(
        'requestRate',
        series((i) => (gap(i) ? null : round(12 + wobble(i, 5) * 0.8, 1))),
        series((i) => round(48 + wobble(i, 6) * 2, 1)),
      ),
    ],
    { canary: 20, primary: 80, from: 'request-rate' },
  );
}

/** Every SLO met, split read from the VirtualService. */
export function passingSnapshot(): Snapshot {
  return snapshot(
    [
      metric(
        'successRate',
        series((i) => round(99.9 + wobble(i, 1) * 0.05, 2)),
        series((i) => round(99.92 + wobble(i, 2) * 0.04, 2)),
      ),
      metric(
        'p95LatencyMs',
        series((i) => Math.round(190 + wobble(i, 3) * 12)),
        series((i) => Math.round(178 + wobble(i, 4) * 9)),
      ),
    ],
    { canary: 30, primary: 70, from: 'virtualservice' },
  );
}

/** Prometheus timed out for the canary's latency, and the canary's success rate has only a few scattered samples. */
export function noDataSnapshot(): Snapshot {
  const timeout = 'Prometheus query timed out after 5 s';
  return snapshot([
    metric(
      'successRate',
      series((i) => (i === 3 || i === 12 || i === 20 ? 99.8 : null)),
      series((i) => round(99.92 + wobble(i, 2) * 0.04, 2)),
    ),
    metric(
      'p95LatencyMs',
      series(() => null),
      series(() => null),
      { canary: timeout, primary: timeout },
    ),
    metric(
      'requestRate',
      series(() => null),
      series((i) => round(48 + wobble(i, 6) * 2, 1)),
      { canary: 'no series for the canary pods' },
    ),
  ]);
}
