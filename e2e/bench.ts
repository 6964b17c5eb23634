import { performance } from 'node:perf_hooks';
import { ACTIONS } from '../shared/slack/blocks';
import { SIGNING_SECRET } from '../testkit/bot';
import { buttonClick, sign } from '../testkit/slack-requests';
import { benchRun, durationMs } from './harness/bench-run';
import { botConfig, buttonOf, Scenario } from './harness/scenario';

/**
 * Timings from one run of scenario 1 against the real Flagger (the e2e harness: etcd, kube-apiserver, Flagger,
 * Prometheus on loopback, the bot in this process with a fake Slack):
 *   (a) Flagger's first confirm-promotion call reaching the bot -> the approval request with buttons in Slack;
 *   (b) the approving click -> Flagger's next confirm-promotion answered 200 (mostly Flagger's wait for its next
 *       check), with the bot's own answer time for that call;
 *   (c) what Flagger alone would need to roll back: the Canary's failed-checks threshold x interval.
 * The click is sent as soon as the request is in Slack.
 *
 *   npm run bench:e2e                  # about 2.5 minutes; builds the Go binaries first (e2e/build.sh)
 *   npx tsx e2e/bench.ts --snapshots   # the bot also reads Prometheus: (a) includes the snapshot and chart
 */
const snapshots = process.argv.includes('--snapshots');
const bench = benchRun();

async function main(): Promise<void> {
  const began = Date.now();
  const s = await Scenario.start({
    config: (env) => botConfig(snapshots ? { prometheus: env.prometheus.url } : {}),
  });
  bench.use(s);
  const startup = Date.now() - began;

  const deployedAt = Date.now();
  await s.deploy('registry.example.com/acme/product-service:1.1.0');
  const request = await s.waitForRequest('Promote the canary to primary', 0, 240_000);
  const requestAt = s.slackTime(request) ?? Number.NaN;
  const opening = s.hooks.of('confirm-promotion')[0];
  if (opening?.status !== 403) throw new Error(`unexpected first confirm-promotion: ${s.hooks.summary()}`);

  // The approver clicks as soon as the request is there.
  const asked = s.hooks.of('confirm-promotion').length;
  const click = sign(buttonClick(ACTIONS.approve, buttonOf(request, ACTIONS.approve), 'U0APPROVER1'), SIGNING_SECRET);
  const clickedAt = Date.now();
  const t = performance.now();
  const res = await fetch(`${s.h.bot.url}/slack/events`, { method: 'POST', ...click });
  const clickAnswerMs = performance.now() - t;
  if (res.status !== 200) throw new Error(`the click got ${res.status}: ${await res.text()}`);
  const opened = await s.waitFor('the promotion check answered 200', async () =>
    s.hooks
      .of('confirm-promotion')
      .slice(asked)
      .find((c) => c.status === 200),
  );
  const refusedAfterClick = s.hooks
    .of('confirm-promotion')
    .slice(asked)
    .filter((c) => c.status !== 200 && c.receivedAt >= clickedAt).length;
  await s.waitForPhase('Succeeded', 120_000);
  const succeededAt = Date.now();

  const spec = await s.canarySpec();
  const intervalMs = durationMs(spec.analysis.interval);
  const threshold = spec.analysis.threshold;

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const sec = (v: number) => `${(v / 1000).toFixed(2)} s`;
  const rows: [string, string][] = [
    ['(a) confirm-promotion reaches the bot -> request with buttons in Slack', ms(requestAt - opening.receivedAt)],
    ['    the bot answering that call (403)', ms(opening.latencyMs)],
    ['(b) Approve click -> next confirm-promotion answered 200', sec(opened.at - clickedAt)],
    ["    of which waiting for Flagger's next check", sec(opened.receivedAt - clickedAt)],
    ['    the bot answering that call (200)', ms(opened.latencyMs)],
    ['    the click answered (Slack allows 3 s)', ms(clickAnswerMs)],
    [
      `(c) Flagger alone: failed-checks threshold x interval (${threshold} x ${spec.analysis.interval})`,
      sec(threshold * intervalMs),
    ],
    ['    for comparison: one interval (a rejection is rolled back at the next check)', sec(intervalMs)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  console.log(
    `\nscenario 1 against Flagger v1.44 on loopback, ${snapshots ? 'with' : 'without'} bot snapshots; node ${process.version}`,
  );
  console.log(`${'measure'.padEnd(width)}value`);
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}${value.padStart(10)}`);
  console.log(
    `\nharness start ${sec(startup)}; deploy -> request ${sec(requestAt - deployedAt)}; ` +
      `deploy -> Succeeded ${sec(succeededAt - deployedAt)}; refused checks between click and 200: ${refusedAfterClick}`,
  );
}

main().then(
  () => bench.shutdown(0),
  (error: Error) => {
    console.error(`bench failed: ${error.message}`);
    return bench.shutdown(1);
  },
);
