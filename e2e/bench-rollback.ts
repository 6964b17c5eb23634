import { type AlertRollbackRun, alertRollbackRun, startAlertScenario } from './harness/alert-scenario';
import { benchRun, durationMs } from './harness/bench-run';

/**
 * Alert-driven rollback against the real Flagger, Prometheus and Alertmanager (the e2e harness on loopback, the bot
 * in this process with a fake Slack and the harness cluster), repeated: each run deploys a new revision, waits
 * until the canary has 20 % or more, makes half of its answers 500s, and measures
 *   (1) Alertmanager's post reaching the bot -> the VirtualService routing 100 % to the primary (the bot's own
 *       latency: the post's arrival at the recorder in front of the bot, the VirtualService polled every 25 ms);
 *   (2) the fault -> 100 % primary (the whole pipeline: 1 s scrapes and rule evaluations, group_wait 0);
 *   (3) what Flagger alone would need for the same Canary: its failed-checks threshold x interval.
 *
 *   npm run bench:rollback                 # 3 runs, about 4 minutes; builds the Go binaries first (e2e/build.sh)
 *   BENCH_RUNS=10 npm run bench:rollback
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const bench = benchRun();

/** Nearest-rank percentile of `values` (0 < p <= 100). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS must be a whole number >= 1, not ${RUNS}`);
  const began = Date.now();
  const s = await startAlertScenario('registry.example.com/acme/product-service:1.0.0');
  bench.use(s);
  const startup = Date.now() - began;

  const runs: AlertRollbackRun[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const run = await alertRollbackRun(s, `registry.example.com/acme/product-service:1.${i}.0`, i);
    runs.push(run);
    console.log(
      `run ${i}/${RUNS} at ${run.weight} %: fault -> post ${run.post.receivedAt - run.faultAt} ms, ` +
        `post -> 100 % primary ${run.relievedAt - run.post.receivedAt} ms, fault -> Failed ${run.failedAt - run.faultAt} ms`,
    );
  }
  const spec = await s.canarySpec();
  const flaggerAlone = spec.analysis.threshold * durationMs(spec.analysis.interval);

  const ms = (v: number) => `${Math.round(v)} ms`;
  const rows: { label: string; values: number[]; target?: string }[] = [
    {
      label: "(1) Alertmanager's post reaches the bot -> VirtualService 100 % primary",
      values: runs.map((r) => r.relievedAt - r.post.receivedAt),
      target: '< 500 ms',
    },
    {
      label: '(2) fault injected -> VirtualService 100 % primary',
      values: runs.map((r) => r.relievedAt - r.faultAt),
      target: '< 2500 ms',
    },
    {
      label: `(3) Flagger alone: failed-checks threshold x interval (${spec.analysis.threshold} x ${spec.analysis.interval})`,
      values: runs.map(() => flaggerAlone),
    },
    { label: "    fault -> Alertmanager's post", values: runs.map((r) => r.post.receivedAt - r.faultAt) },
    { label: '    fault -> rollback hook answered 200', values: runs.map((r) => r.rollback.at - r.faultAt) },
    { label: '    fault -> Canary Failed', values: runs.map((r) => r.failedAt - r.faultAt) },
  ];
  const width = Math.max(...rows.map((r) => r.label.length)) + 2;
  console.log(
    `\nalert rollback against Flagger v1.44, Prometheus 2.42, Alertmanager 0.25 on loopback; ${RUNS} runs; node ${process.version}`,
  );
  console.log(`${'measure'.padEnd(width)}${'median'.padStart(10)}${'p95'.padStart(10)}  target`);
  for (const { label, values, target } of rows) {
    console.log(
      `${label.padEnd(width)}${ms(percentile(values, 50)).padStart(10)}${ms(percentile(values, 95)).padStart(10)}  ${target ?? ''}`,
    );
  }
  console.log(
    `\nharness start ${(startup / 1000).toFixed(1)} s. Run 1's canary answers its first 500s: that series is new, and ` +
      'Prometheus has no rate for it until its second scrape (about 1 s more than the later runs, whose series exists).',
  );
}

main().then(
  () => bench.shutdown(0),
  (error: Error) => {
    console.error(`bench failed: ${error.message}`);
    return bench.shutdown(1);
  },
);
