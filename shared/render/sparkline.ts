/** The eight block heights, lowest first. */
export const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

export interface SparklineOptions {
  /** Bottom of the scale; values below it are drawn as the lowest bar. Default: the smallest value. */
  min?: number;
  /** Top of the scale; values above it are drawn as the highest bar. Default: the largest value. */
  max?: number;
  /** Drawn where there is no sample. Default: a middle dot, which stays visible where spaces collapse. */
  gap?: string;
  /** At most this many characters: longer series are averaged into buckets (a bucket of gaps stays a gap). */
  width?: number;
}

type Point = number | null;

/** A flat series has no high or low: the half block. */
const MIDDLE = '▄';

const isValue = (v: Point | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Floating-point noise (212.49999 against 212.50001) is not a trend: under a millionth of the level, it is flat. */
const flatBelow = (lo: number, hi: number): number => 1e-6 * Math.max(Math.abs(lo), Math.abs(hi), 1);

/**
 * A unicode sparkline, one character per point, oldest first: `▁▂▃▅▇`. Gaps (null, NaN) become `gap`. A constant
 * series, or a single point, is drawn at mid height unless a fixed scale places it; an all-gap series is all gaps.
 */
export function sparkline(values: readonly Point[], options: SparklineOptions = {}): string {
  const gap = options.gap ?? '·';
  const points = options.width && options.width > 0 ? downsample(values, options.width) : values;
  const present = points.filter(isValue);
  if (present.length === 0) return points.map(() => gap).join('');
  const lo = options.min ?? Math.min(...present);
  const hi = options.max ?? Math.max(...present);
  const top = BARS.length - 1;
  return points
    .map((v) => {
      if (!isValue(v)) return gap;
      if (!(hi - lo > flatBelow(lo, hi))) return MIDDLE;
      const level = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * top);
      return BARS[level];
    })
    .join('');
}

/** The smallest and largest value over several series, to draw them on one scale; undefined when all are gaps. */
export function sharedScale(...series: readonly (readonly Point[])[]): { min: number; max: number } | undefined {
  const present = series.flat().filter(isValue);
  if (present.length === 0) return undefined;
  return { min: Math.min(...present), max: Math.max(...present) };
}

/** Averages consecutive points into at most `width` buckets, keeping their order; gaps do not count. */
export function downsample(values: readonly Point[], width: number): Point[] {
  if (values.length <= width) return [...values];
  const buckets: Point[] = [];
  for (let b = 0; b < width; b++) {
    const from = Math.floor((b * values.length) / width);
    const to = Math.floor(((b + 1) * values.length) / width);
    const present = values.slice(from, to).filter(isValue);
    buckets.push(present.length ? present.reduce((a, v) => a + v, 0) / present.length : null);
  }
  return buckets;
}
