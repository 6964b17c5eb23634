import type { MetricName, Snapshot } from '../domain/snapshot';

/** The chart's axes: round value ticks that hold every point and the SLO, and time ticks over the window. */

export interface TimeAxis {
  start: number;
  end: number;
  /** Where sample `i` of `n` falls, in epoch seconds. */
  at: (i: number, n: number) => number;
  ticks: { t: number; label: string }[];
}

/** A y axis with 3 to 6 round ticks that holds every value and the SLO; a success rate never goes past 100. */
export function yScale(
  values: readonly number[],
  slo: number | undefined,
  metric: MetricName,
): { min: number; max: number; step: number; ticks: number[] } {
  const all = slo === undefined ? [...values] : [...values, slo];
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi - lo < 1e-9) {
    const pad = Math.max(Math.abs(hi) * 0.01, 0.5);
    lo -= pad;
    hi += pad;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const percent = metric === 'successRate' || metric === 'errorRate';
  if (percent && hi > 100 && Math.max(...all, 0) <= 100) hi = 100;
  if (lo < 0 && Math.min(...all, 0) >= 0) lo = 0;
  const step = niceStep((hi - lo) / 4);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = min; t <= max + step / 1000; t += step) ticks.push(Number(t.toFixed(10)));
  return { min, max, step, ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Enough decimals to tell ticks apart: 99.5 for steps of 0.5, 0.25 for steps of 0.25, 200 for steps of 50. */
export function tickLabel(value: number, step: number): string {
  let decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  while (decimals < 6 && Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6) decimals++;
  return value.toFixed(decimals);
}

/** Samples are `stepSeconds` apart and the newest was taken at `takenAt`; the axis spans the window. */
export function timeAxis(snapshot: Snapshot): TimeAxis {
  const end = Date.parse(snapshot.takenAt) / 1000 || 0;
  const step = snapshot.window.stepSeconds > 0 ? snapshot.window.stepSeconds : 1;
  const longest = Math.max(0, ...snapshot.metrics.flatMap((m) => [m.trend.canary.length, m.trend.primary.length]));
  const span = Math.max(snapshot.window.seconds, (longest - 1) * step, 0);
  const start = end - span;
  const at = (i: number, n: number) => end - (n - 1 - i) * step;
  const DAY = 86400;
  const interval =
    [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, DAY].find((s) => span / s <= 6) ??
    Math.ceil(span / 8 / DAY) * DAY;
  const ticks: { t: number; label: string }[] = [];
  if (span > 0) {
    for (let t = Math.ceil(start / interval) * interval; t <= end + 1e-6; t += interval) {
      const iso = new Date(t * 1000).toISOString();
      ticks.push({
        t,
        label: interval >= DAY ? iso.slice(5, 10) : interval < 60 ? iso.slice(11, 19) : iso.slice(11, 16),
      });
    }
  }
  return { start, end, at, ticks };
}
