import type { MetricSnapshot, Snapshot } from '../../shared/domain/snapshot';
import { chartPng, chartSvg } from '../../shared/render/chart';
import { failingSnapshot, noDataSnapshot, passingSnapshot } from '../../testkit/snapshots';
import { countColour, decodePng, PNG_SIGNATURE } from './png';

const CANARY = '#D55E00';
const PRIMARY = '#0072B2';
const TEXT = '#1a1a1a';

/** The SVG of one panel, `<g class="panel" data-metric="...">...</g>`. */
function panelOf(svg: string, metric: string): string {
  const start = svg.indexOf(`<g class="panel" data-metric="${metric}">`);
  if (start < 0) throw new Error(`no panel for ${metric}`);
  return svg.slice(start, svg.indexOf('</g>', start));
}
const count = (text: string, part: string | RegExp): number =>
  typeof part === 'string' ? text.split(part).length - 1 : (text.match(part) ?? []).length;
/** The `d` of the series path of one side, or undefined when nothing was drawn as a line. */
const pathOf = (panel: string, side: 'canary' | 'primary'): string | undefined =>
  panel.match(new RegExp(`class="series-${side}" d="([^"]+)"`))?.[1];

describe('Function: chartSvg', () => {
  it('draws canary and primary in both panels, with a labelled SLO line, ticks, legend and title', () => {
    // Arrange
    const snapshot = passingSnapshot();

    // Act
    const svg = chartSvg(snapshot);
    const success = panelOf(svg, 'successRate');
    const latency = panelOf(svg, 'p95LatencyMs');

    // Assess
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="500" viewBox="0 0 720 450"/,
    );
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const panel of [success, latency]) {
      expect(pathOf(panel, 'canary')).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){20}$/);
      expect(pathOf(panel, 'primary')).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){20}$/);
      expect(count(panel, 'class="slo"')).toBe(1);
    }
    expect(success).toContain('>SLO ≥ 99 %</text>');
    expect(latency).toContain('>SLO &lt; 500 ms</text>');
    expect(success).toContain('>Success rate (%)</text>');
    expect(latency).toContain('>p95 latency (ms)</text>');
    expect(success).toContain('>99.0</text>');
    expect(latency).toContain('>500</text>');
    expect(svg).toContain('>payments/api</text>');
    expect(svg).toContain('>2025-03-04 10:00 UTC · last 10 min</text>');
    expect(svg).toContain('>All SLOs pass</text>');
    for (const legend of ['canary', 'primary', 'SLO']) expect(svg).toContain(`>${legend}</text>`);
    for (const tick of ['09:50', '09:52', '09:54', '09:56', '09:58', '10:00']) expect(svg).toContain(`>${tick}</text>`);
  });

  it('tells canary from primary by colour and by dash, so the chart reads in greyscale', () => {
    // Arrange
    const snapshot = passingSnapshot();

    // Act
    const panel = panelOf(chartSvg(snapshot), 'successRate');
    const canary = panel.match(/<path class="series-canary"[^>]*>/)?.[0] ?? '';
    const primary = panel.match(/<path class="series-primary"[^>]*>/)?.[0] ?? '';

    // Assess
    expect(canary).toContain(`stroke="${CANARY}"`);
    expect(canary).not.toContain('stroke-dasharray');
    expect(primary).toContain(`stroke="${PRIMARY}"`);
    expect(primary).toContain('stroke-dasharray="11 7"');
  });

  it('breaks the line where samples are missing', () => {
    // Arrange
    const snapshot = failingSnapshot();

    // Act
    const panel = panelOf(chartSvg(snapshot), 'successRate');

    // Assess: samples 9 and 10 are missing, so the canary is two runs of 9 and 10 samples
    expect(pathOf(panel, 'canary')).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){8} M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){9}$/);
    expect(count(pathOf(panel, 'primary') ?? '', 'M')).toBe(1);
  });

  it('marks lone samples, and says why a panel or a side has no data', () => {
    // Arrange
    const snapshot = noDataSnapshot();
    const success = snapshot.metrics[0] as MetricSnapshot;
    const onlyPrimary: Snapshot = {
      ...snapshot,
      metrics: [
        { ...success, canary: { value: null, reason: 'no canary pods' }, trend: { ...success.trend, canary: [] } },
      ],
    };

    // Act
    const svg = chartSvg(snapshot);
    const other = chartSvg(onlyPrimary);

    // Assess
    expect(count(panelOf(svg, 'successRate'), 'class="point-canary"')).toBe(3);
    expect(pathOf(panelOf(svg, 'successRate'), 'canary')).toBeUndefined();
    expect(panelOf(svg, 'p95LatencyMs')).toContain('>No data: Prometheus query timed out after 5 s</text>');
    expect(panelOf(svg, 'p95LatencyMs')).not.toContain('series-');
    expect(svg).toContain('>No data for p95 latency</text>');
    expect(panelOf(other, 'successRate')).toContain('>No canary data: no canary pods</text>');
    expect(panelOf(other, 'p95LatencyMs')).toContain('>p95 latency was not measured</text>');
  });

  it('escapes the service name and draws at the requested size', () => {
    // Arrange
    const snapshot: Snapshot = { ...passingSnapshot(), service: 'r&d/<api>' };

    // Act
    const svg = chartSvg(snapshot, { width: 640, height: 480 });

    // Assess
    expect(svg).toContain('width="640" height="480" viewBox="0 0 720 540"');
    expect(svg).toContain('>r&amp;d/&lt;api&gt;</text>');
    expect(svg).not.toContain('<api>');
  });

  it('draws a flat series and a single sample, and labels a week-long window by day', () => {
    // Arrange
    const base = passingSnapshot();
    const [success, latency] = base.metrics as [MetricSnapshot, MetricSnapshot];
    const snapshot: Snapshot = {
      ...base,
      window: { seconds: 7 * 86400, stepSeconds: 3600 },
      metrics: [
        { ...success, trend: { canary: Array(169).fill(99.5), primary: Array(169).fill(99.5) } },
        { ...latency, trend: { canary: [210], primary: [] } },
      ],
    };

    // Act
    const svg = chartSvg(snapshot);

    // Assess
    expect(pathOf(panelOf(svg, 'successRate'), 'canary')).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){168}$/);
    expect(count(panelOf(svg, 'p95LatencyMs'), 'class="point-canary"')).toBe(1);
    expect(panelOf(svg, 'p95LatencyMs')).toContain('>No primary data</text>');
    for (const day of ['02-26', '02-27', '03-01', '03-04']) expect(svg).toContain(`>${day}</text>`);
    expect(svg).not.toContain('NaN');
  });

  it('does not load the rasteriser: only chartPng does, so the Flagger function never pays for it', () => {
    // Arrange
    let loaded = false;
    let svg = '';

    // Act
    jest.isolateModules(() => {
      jest.doMock('@resvg/resvg-wasm', () => {
        loaded = true;
        return {};
      });
      const chart = jest.requireActual<typeof import('../../shared/render/chart')>('../../shared/render/chart');
      svg = chart.chartSvg(failingSnapshot());
    });
    jest.dontMock('@resvg/resvg-wasm');

    // Assess
    expect(svg.length).toBeGreaterThan(1000);
    expect(loaded).toBe(false);
  });
});

describe('Function: chartPng', () => {
  it('initialises resvg once when the first renders run at the same time', async () => {
    // Arrange
    const snapshots = [failingSnapshot(), passingSnapshot(), noDataSnapshot()];

    // Act
    const pngs = await Promise.all(snapshots.map((s) => chartPng(s)));

    // Assess
    expect(pngs.map((png) => png.subarray(0, 8).equals(PNG_SIGNATURE))).toEqual([true, true, true]);
  });

  it('writes a PNG of the requested size: signature, then IHDR with width and height', async () => {
    // Arrange
    const snapshot = failingSnapshot();

    // Act
    const standard = await chartPng(snapshot);
    const small = await chartPng(snapshot, { width: 640, height: 400 });

    // Assess
    for (const [png, width, height] of [
      [standard, 800, 500],
      [small, 640, 400],
    ] as const) {
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(png.toString('latin1', 12, 16)).toBe('IHDR');
      expect(png.readUInt32BE(16)).toBe(width);
      expect(png.readUInt32BE(20)).toBe(height);
    }
  });

  it('decodes to an image with both series and the text drawn in the shipped font', async () => {
    // Arrange
    const snapshot = failingSnapshot();

    // Act
    const image = decodePng(await chartPng(snapshot));

    // Assess
    expect([image.width, image.height]).toEqual([800, 500]);
    expect(countColour(image, CANARY)).toBeGreaterThan(2000);
    expect(countColour(image, PRIMARY)).toBeGreaterThan(1000);
    // The title, "payments/api" at the top left: glyphs only appear if the font loaded.
    expect(countColour(image, TEXT, { x: 0, y: 0, width: 250, height: 48 })).toBeGreaterThan(300);
    expect(countColour(image, '#ffffff', { x: 0, y: 0, width: 800, height: 500 })).toBeGreaterThan(200_000);
  });

  it('renders a snapshot with gaps and missing data', async () => {
    // Arrange
    const snapshot = noDataSnapshot();

    // Act
    const image = decodePng(await chartPng(snapshot));

    // Assess: the lone canary samples are drawn, and the latency panel carries its note in muted text
    expect([image.width, image.height]).toEqual([800, 500]);
    expect(countColour(image, CANARY, { x: 78, y: 120, width: 690, height: 160 })).toBeGreaterThan(150);
    expect(countColour(image, '#555555', { x: 200, y: 370, width: 400, height: 40 }, 40)).toBeGreaterThan(300);
  });
});
