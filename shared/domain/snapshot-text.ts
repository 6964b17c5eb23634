import {
  METRIC_INFO,
  type MetricName,
  type MetricSnapshot,
  type Reading,
  type Slo,
  type Snapshot,
  type TrafficSplit,
} from './snapshot';

/** How many decimals a value of this metric needs to be read: fewer for big numbers, more for small ones. */
function baseDecimals(metric: MetricName, value: number): number {
  const size = Math.abs(value);
  switch (METRIC_INFO[metric].unit) {
    case '%':
      return size < 1 ? 2 : 1;
    case 'ms':
      return size >= 100 ? 0 : size >= 10 ? 1 : 2;
    case 'req/s':
      return size >= 100 ? 0 : size >= 1 ? 1 : 2;
  }
}

const meets = (value: number, slo: Slo): boolean => (slo.op === '>=' ? value >= slo.value : value < slo.value);

/**
 * The number as shown to an approver, without its unit. Given the SLO, it keeps as many decimals as it takes for the
 * shown number to pass or fail the SLO the way the real one does: 98.96 against ≥ 99 shows as 98.96, not 99.0.
 */
export function formatNumber(metric: MetricName, value: number, slo?: Slo): string {
  let decimals = baseDecimals(metric, value);
  let shown = value.toFixed(decimals);
  while (slo && decimals < 4 && meets(Number(shown), slo) !== meets(value, slo)) shown = value.toFixed(++decimals);
  return shown;
}

/** `98.0 %`, `412 ms`, `35.2 req/s`. */
export const formatValue = (metric: MetricName, value: number, slo?: Slo): string =>
  `${formatNumber(metric, value, slo)} ${METRIC_INFO[metric].unit}`;

/** A reading as a value, or `no data`; see `reasonOf` for why. */
export const formatReading = (metric: MetricName, reading: Reading, slo?: Slo): string =>
  reading.value === null ? 'no data' : formatValue(metric, reading.value, slo);

/** A reason longer than this is cut where it is shown: a line must stay a line; the audit trail keeps the whole text. */
export const REASON_MAX = 160;

/** Why a reading has no value, cut to `REASON_MAX`; undefined when it has one. */
export function reasonOf(reading: Reading): string | undefined {
  if (reading.value !== null) return undefined;
  const reason = reading.reason.trim() || 'no reason given';
  return reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason;
}

/** A number without trailing zeros: 99, 99.9, 0.25. */
export const plainNumber = (value: number): string => String(Number(value.toFixed(4)));

/** `≥ 99 %`, `< 500 ms`. */
export const formatSlo = (metric: MetricName, slo: Slo): string =>
  `${slo.op === '>=' ? '≥' : '<'} ${plainNumber(slo.value)} ${METRIC_INFO[metric].unit}`;

export const formatSplit = (split: TrafficSplit): string =>
  `canary ${plainNumber(split.canary)} % / primary ${plainNumber(split.primary)} % (${split.from === 'request-rate' ? 'from request rate' : 'from VirtualService weights'})`;

/** `10 min`, `1 h 30 min`, `45 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${plainNumber(seconds)} s`;
  if (seconds < 3600) return `${plainNumber(Math.round((seconds / 60) * 10) / 10)} min`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/** `2025-03-04 10:00 UTC`. */
export const formatUtc = (iso: string): string => {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

export const label = (metric: MetricName): string => METRIC_INFO[metric]?.label ?? metric;
/** A label inside a sentence: `success rate`, `p95 latency`. */
const inSentence = (metric: MetricName): string => {
  const text = label(metric);
  return text.charAt(0).toLowerCase() + text.slice(1);
};

/** `a`, `a and b`, `a, b and c`. */
export function listOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The one sentence an approver reads first: `All SLOs pass`, `Error rate fails its SLO`, `No data for p95 latency:
 * Prometheus timed out`. A failing metric is named before missing ones; a gap is named with its reason (when all
 * gaps share one, and unless `reasons` is false).
 */
export function headline(snapshot: Snapshot, options: { reasons?: boolean } = {}): string {
  const failing = snapshot.metrics.filter((m) => m.verdict === 'fail');
  const missing = snapshot.metrics.filter((m) => m.verdict === 'no-data');
  const noData = missing.length ? `No data for ${listOf(missing.map((m) => inSentence(m.metric)))}` : '';
  const reasons = [...new Set(missing.map((m) => reasonOf(m.canary) ?? reasonOf(m.primary) ?? 'no reason given'))];
  const noDataWithReason = reasons.length === 1 && options.reasons !== false ? `${noData}: ${reasons[0]}` : noData;
  if (failing.length) {
    const names = failing.map((m, i) => (i === 0 ? label(m.metric) : inSentence(m.metric)));
    const fails = failing.length === 1 ? `${names[0]} fails its SLO` : `${listOf(names)} fail their SLOs`;
    return missing.length ? `${fails}; ${noData.charAt(0).toLowerCase()}${noData.slice(1)}` : fails;
  }
  if (missing.length) return noDataWithReason;
  if (snapshot.verdict === 'fail') return 'SLOs fail';
  if (snapshot.verdict === 'no-data') return 'No data';
  return 'All SLOs pass';
}

/** One metric in words, for notifications and screen readers: `Success rate: canary 98.7 %, primary 99.9 %, SLO ≥ 99 %`. */
export function metricSentence(m: MetricSnapshot): string {
  const value = (r: Reading) => (r.value === null ? `no data (${reasonOf(r)})` : formatValue(m.metric, r.value, m.slo));
  const sameGap = m.canary.value === null && m.primary.value === null && reasonOf(m.canary) === reasonOf(m.primary);
  const readings = sameGap
    ? [`no data for canary or primary (${reasonOf(m.canary)})`]
    : [`canary ${value(m.canary)}`, `primary ${value(m.primary)}`];
  if (m.slo) readings.push(`SLO ${formatSlo(m.metric, m.slo)}`);
  return `${label(m.metric)}: ${readings.join(', ')}`;
}

/** The whole snapshot as plain text for the audit trail: verdict, every number, the split, when and from where. */
export function snapshotSummary(snapshot: Snapshot): string {
  const split = snapshot.split ? `traffic ${formatSplit(snapshot.split)}` : 'traffic split unknown';
  const metrics = snapshot.metrics.map(metricSentence).join('; ');
  return `${headline(snapshot)}: ${metrics}; ${split}; taken ${snapshot.takenAt} from ${snapshot.source}`;
}
