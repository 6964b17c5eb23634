import { performance } from 'node:perf_hooks';
import { chartPng, chartSvg } from '../shared/render/chart';
import { failingSnapshot } from '../testkit/snapshots';

/**
 * How long the worker takes to draw a metric chart: the first chartPng of a process (cold: loading resvg's wasm and
 * the fonts, then rendering) and the median and p95 of the next RUNS (warm), with the PNG's size. The snapshot is the
 * test fixture: two panels of 21 samples, with a gap.
 */
const RUNS = Number(process.env.RUNS ?? 30);

async function main(): Promise<void> {
  const snapshot = failingSnapshot();
  const t0 = performance.now();
  const first = await chartPng(snapshot);
  const coldMs = performance.now() - t0;

  const svgMs: number[] = [];
  const warmMs: number[] = [];
  let size = first.length;
  for (let i = 0; i < RUNS; i++) {
    const s0 = performance.now();
    chartSvg(snapshot);
    svgMs.push(performance.now() - s0);
    const w0 = performance.now();
    size = (await chartPng(snapshot)).length;
    warmMs.push(performance.now() - w0);
  }
  const heap = process.memoryUsage();
  console.log(`node ${process.version}, chartPng 800x500, ${RUNS} warm renders`);
  console.log(`cold (wasm + fonts + first render)  ${coldMs.toFixed(0)} ms`);
  console.log(`warm p50 / p95 / max                ${stats(warmMs)}`);
  console.log(`  of which SVG string p50           ${percentile(svgMs, 0.5).toFixed(2)} ms`);
  console.log(`PNG size                            ${(size / 1024).toFixed(1)} KiB (${size} bytes)`);
  console.log(`rss after                           ${(heap.rss / 1024 / 1024).toFixed(0)} MiB`);
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
};
const stats = (values: number[]): string =>
  `${percentile(values, 0.5).toFixed(0)} / ${percentile(values, 0.95).toFixed(0)} / ${Math.max(...values).toFixed(0)} ms`;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
