import { readFile } from 'node:fs/promises';
import { METRIC_INFO, type MetricName, type MetricSnapshot, type Snapshot } from '../domain/snapshot';
import {
  formatDuration,
  formatReading,
  formatSlo,
  formatUtc,
  headline,
  label,
  reasonOf,
} from '../domain/snapshot-text';
import { type TimeAxis, tickLabel, timeAxis, yScale } from './chart-axes';
import { ellipsize, escapeXml, isValue, line, type Point, r, text, textWidth } from './svg';

/**
 * A chart of a metric snapshot: success rate and p95 latency over the analysis window, one panel each, canary against
 * primary with the SLO as a labelled line. It is built as an SVG string (no DOM) and rasterised to PNG by resvg's
 * WebAssembly build, with a font shipped in node_modules: no native binary, no system font, no network.
 *
 * Made to be read on a phone, where Slack shrinks an 800 px image to about 360 pt: text is 19 px and up, canary and
 * primary differ in colour (Okabe-Ito vermillion and blue, safe for colour-blind readers) and in dash and width
 * (so they differ in greyscale too), gaps in the data are breaks in the line and missing series say why.
 */
export interface ChartOptions {
  /** Pixels; default 800. */
  width?: number;
  /** Pixels; default 500. */
  height?: number;
  /** The two panels, top first; default success rate and p95 latency. */
  metrics?: readonly [MetricName, MetricName];
}

const FONT_FAMILY = 'Roboto';
/** The drawing is laid out on a canvas this wide and scaled to the requested width, text included: at 800 px, by 1.11. */
const DESIGN_WIDTH = 720;
const COLOURS = {
  canary: '#D55E00',
  primary: '#0072B2',
  slo: '#222222',
  text: '#1a1a1a',
  muted: '#555555',
  grid: '#e3e3e3',
  axis: '#9a9a9a',
  fail: '#B00020',
  pass: '#1B7F3B',
};
const SERIES = {
  canary: { colour: COLOURS.canary, width: 4.5, dash: '' },
  primary: { colour: COLOURS.primary, width: 3.5, dash: '11 7' },
} as const;
const SLO_DASH = '4 5';

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function chartSvg(snapshot: Snapshot, options: ChartOptions = {}): string {
  const width = options.width ?? 800;
  const height = options.height ?? 500;
  const [top, bottom] = options.metrics ?? ['successRate', 'p95LatencyMs'];
  const w = DESIGN_WIDTH;
  // Below this height the panels would have no room; a flatter image gets white bands instead.
  const h = Math.max(360, Math.round((DESIGN_WIDTH * height) / width));
  const time = timeAxis(snapshot);

  const plotLeft = 78;
  const plotRight = w - 32;
  const panelsTop = 92;
  const axisLabels = 34;
  const gap = 20;
  const panelHeight = (h - panelsTop - axisLabels - gap) / 2;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${w} ${h}" font-family="${FONT_FAMILY}">`,
    `<title>${escapeXml(`${snapshot.service}: ${headline(snapshot)}`)}</title>`,
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
  );
  out.push(...titleRow(snapshot, w));
  out.push(...legendRow(snapshot, w));
  const boxes = [0, 1].map((p) => {
    const panelTop = panelsTop + p * (panelHeight + gap);
    return { left: plotLeft, right: plotRight, top: panelTop + 36, bottom: panelTop + panelHeight };
  }) as [Box, Box];
  for (const [i, metric] of [top, bottom].entries())
    out.push(`<g class="panel" data-metric="${metric}">`, ...panel(snapshot, metric, boxes[i] as Box, time), '</g>');
  out.push(...timeTicks(time, boxes[1]));
  out.push('</svg>');
  return out.join('\n');
}

/** The service and, at the right, the verdict in its colour: what a reader who sees only the image needs first. */
function titleRow(snapshot: Snapshot, w: number): string[] {
  const titleSize = 28;
  const verdictSize = 21;
  const title = ellipsize(snapshot.service, titleSize, w / 2, true);
  const verdict = headline(snapshot, { reasons: false });
  const colour =
    snapshot.verdict === 'pass' ? COLOURS.pass : snapshot.verdict === 'fail' ? COLOURS.fail : COLOURS.muted;
  const room = w - 16 - 16 - textWidth(title, titleSize, true) - 24;
  return [
    text(16, 36, title, { size: titleSize, weight: 700 }),
    text(w - 16, 36, ellipsize(verdict, verdictSize, room, true), {
      size: verdictSize,
      weight: 700,
      anchor: 'end',
      fill: colour,
    }),
  ];
}

/** What each line style means, and when and over what window the numbers were taken. */
function legendRow(snapshot: Snapshot, w: number): string[] {
  const y = 72;
  const size = 20;
  const out: string[] = [];
  let x = 16;
  for (const [name, style] of Object.entries(SERIES)) {
    out.push(line(x, y - 7, x + 36, y - 7, style.colour, style.width, style.dash));
    out.push(text(x + 43, y, name, { size, weight: 700, fill: style.colour }));
    x += 43 + textWidth(name, size, true) + 22;
  }
  out.push(line(x, y - 7, x + 36, y - 7, COLOURS.slo, 2.5, SLO_DASH));
  out.push(text(x + 43, y, 'SLO', { size, weight: 700, fill: COLOURS.slo }));
  x += 43 + textWidth('SLO', size, true) + 22;
  const when = `${formatUtc(snapshot.takenAt)} · last ${formatDuration(snapshot.window.seconds)}`;
  out.push(text(w - 16, y, ellipsize(when, 19, w - 16 - x), { size: 19, anchor: 'end', fill: COLOURS.muted }));
  return out;
}

function panel(snapshot: Snapshot, metric: MetricName, box: Box, time: TimeAxis): string[] {
  const m = snapshot.metrics.find((x) => x.metric === metric);
  const out: string[] = [];
  out.push(
    text(box.left - 70, box.top - 14, `${label(metric)} (${METRIC_INFO[metric].unit})`, { size: 22, weight: 700 }),
  );
  if (m) out.push(readingsText(m, box));

  const canary = m?.trend.canary ?? [];
  const primary = m?.trend.primary ?? [];
  const values = [...canary, ...primary].filter(isValue);
  const scale = yScale(values, m?.slo?.value, metric);
  const y = (v: number) => box.bottom - ((v - scale.min) / (scale.max - scale.min)) * (box.bottom - box.top);
  const x = xScale(time, box);

  // Grid, ticks and frame; a panel without a single sample gets no scale, only the reason.
  if (values.length) {
    for (const tick of scale.ticks) {
      const ty = y(tick);
      out.push(line(box.left, ty, box.right, ty, COLOURS.grid, 1));
      out.push(
        text(box.left - 8, ty + 7, tickLabel(tick, scale.step), { size: 20, anchor: 'end', fill: COLOURS.muted }),
      );
    }
  }
  for (const tick of time.ticks) out.push(line(x(tick.t), box.top, x(tick.t), box.bottom, COLOURS.grid, 1));
  out.push(
    `<rect x="${r(box.left)}" y="${r(box.top)}" width="${r(box.right - box.left)}" height="${r(box.bottom - box.top)}" fill="none" stroke="${COLOURS.axis}" stroke-width="1"/>`,
  );

  if (!m) {
    out.push(...centreNote(box, `${label(metric)} was not measured`));
    return out;
  }
  const missing = (['canary', 'primary'] as const).filter((side) => !m.trend[side].some(isValue));
  if (missing.length === 2) {
    const reason = reasonOf(m.canary) ?? reasonOf(m.primary);
    out.push(...centreNote(box, `No data${reason ? `: ${reason}` : ''}`));
    return out;
  }
  if (m.slo) out.push(...sloLine(m, box, y(m.slo.value)));
  // Primary first, so the canary (the one being judged) is drawn on top.
  out.push(...series(primary, 'primary', time, x, y));
  out.push(...series(canary, 'canary', time, x, y));
  if (missing.length === 1) {
    const side = missing[0] as 'canary' | 'primary';
    const reason = reasonOf(m[side]);
    out.push(...centreNote(box, `No ${side} data${reason ? `: ${reason}` : ''}`, SERIES[side].colour));
  }
  return out;
}

/** `canary 98.0 %   primary 99.9 %` at the right of the panel title: the numbers the message quotes. */
function readingsText(m: MetricSnapshot, box: Box): string {
  const size = 20;
  const parts = (['canary', 'primary'] as const).map(
    (side, i) =>
      // No-break spaces: SVG collapses ordinary ones, and resvg anchors text before applying dx.
      `${i ? '\u00a0\u00a0\u00a0' : ''}<tspan fill="${SERIES[side].colour}" font-weight="700">${side}</tspan>\u00a0${escapeXml(formatReading(m.metric, m[side], m.slo))}`,
  );
  return `<text x="${r(box.right)}" y="${r(box.top - 14)}" font-size="${size}" text-anchor="end" fill="${COLOURS.text}">${parts.join('')}</text>`;
}

function sloLine(m: MetricSnapshot, box: Box, sy: number): string[] {
  if (!m.slo || sy < box.top - 0.5 || sy > box.bottom + 0.5) return [];
  const caption = `SLO ${formatSlo(m.metric, m.slo)}`;
  // Above the line, unless that leaves the plot; a white halo keeps it readable over the series.
  const ty = sy - 8 - 18 < box.top ? sy + 22 : sy - 8;
  return [
    line(box.left, sy, box.right, sy, COLOURS.slo, 2.5, SLO_DASH, 'slo'),
    text(box.left + 8, ty, caption, { size: 19, weight: 700, fill: COLOURS.slo, halo: true }),
  ];
}

function series(
  values: readonly Point[],
  side: 'canary' | 'primary',
  time: TimeAxis,
  x: (t: number) => number,
  y: (v: number) => number,
): string[] {
  const style = SERIES[side];
  const out: string[] = [];
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  values.forEach((v, i) => {
    if (isValue(v)) run.push([x(time.at(i, values.length)), y(v)]);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  });
  if (run.length) runs.push(run);
  const paths = runs
    .filter((p) => p.length > 1)
    .map((p) => p.map(([px, py], i) => `${i ? 'L' : 'M'}${r(px)} ${r(py)}`));
  if (paths.length)
    out.push(
      `<path class="series-${side}" d="${paths.map((p) => p.join(' ')).join(' ')}" fill="none" stroke="${style.colour}" stroke-width="${style.width}" stroke-linejoin="round" stroke-linecap="round"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''}/>`,
    );
  // A sample between two gaps has no line to be part of: a marker shows it (a dot for canary, a square for primary).
  for (const p of runs.filter((p) => p.length === 1)) {
    const [px, py] = p[0] as [number, number];
    out.push(
      side === 'canary'
        ? `<circle class="point-${side}" cx="${r(px)}" cy="${r(py)}" r="5.5" fill="${style.colour}"/>`
        : `<rect class="point-${side}" x="${r(px - 5)}" y="${r(py - 5)}" width="10" height="10" fill="${style.colour}"/>`,
    );
  }
  return out;
}

/** Epoch seconds to x; a window of no length puts everything at the right edge, where "now" is. */
const xScale =
  (time: TimeAxis, box: Box) =>
  (t: number): number =>
    time.end > time.start
      ? box.left + ((t - time.start) / (time.end - time.start)) * (box.right - box.left)
      : box.right;

function timeTicks(time: TimeAxis, box: Box): string[] {
  const x = xScale(time, box);
  return time.ticks.map((tick) =>
    text(x(tick.t), box.bottom + 25, tick.label, { size: 20, anchor: 'middle', fill: COLOURS.muted }),
  );
}

/** A sentence in the middle of a plot, on a white card so lines behind it do not cross it. */
function centreNote(box: Box, note: string, fill = COLOURS.muted): string[] {
  const size = 20;
  const shown = ellipsize(note, size, box.right - box.left - 40, true);
  const width = textWidth(shown, size, true) + 24;
  const cx = (box.left + box.right) / 2;
  const cy = (box.top + box.bottom) / 2;
  return [
    `<rect x="${r(cx - width / 2)}" y="${r(cy - 18)}" width="${r(width)}" height="36" rx="6" fill="#ffffff" stroke="${COLOURS.grid}"/>`,
    text(cx, cy + 7, shown, { size, weight: 700, anchor: 'middle', fill }),
  ];
}

// ---- PNG ----

interface Rasteriser {
  Resvg: typeof import('@resvg/resvg-wasm').Resvg;
  fonts: Uint8Array[];
}

/** Loaded on the first chart and kept: only the worker draws charts, and the Flagger function never pays for this. */
let rasteriser: Promise<Rasteriser> | undefined;

const FONT_FILES = [
  '@expo-google-fonts/roboto/400Regular/Roboto_400Regular.ttf',
  '@expo-google-fonts/roboto/700Bold/Roboto_700Bold.ttf',
];

async function loadRasteriser(): Promise<Rasteriser> {
  const resvg = await import('@resvg/resvg-wasm');
  const [wasm, ...fonts] = await Promise.all(
    ['@resvg/resvg-wasm/index_bg.wasm', ...FONT_FILES].map((file) => readFile(require.resolve(file))),
  );
  await resvg.initWasm(wasm as Buffer);
  return { Resvg: resvg.Resvg, fonts: fonts.map((f) => new Uint8Array(f)) };
}

/** The chart as a PNG of the requested size. */
export async function chartPng(snapshot: Snapshot, options: ChartOptions = {}): Promise<Buffer> {
  rasteriser ??= loadRasteriser().catch((error: unknown) => {
    rasteriser = undefined;
    throw error;
  });
  const { Resvg, fonts } = await rasteriser;
  const renderer = new Resvg(chartSvg(snapshot, options), {
    font: { fontBuffers: fonts, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    textRendering: 1,
  });
  try {
    const image = renderer.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    renderer.free();
  }
}
