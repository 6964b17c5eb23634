import { lambdaLine, lambdaShaped } from './load/lambda';
import { FLAGGER_TIMEOUT_MS, type LoadResult, openLoop, percentile } from './load/open-loop';
import { confirmPromotion } from './load/releases';
import { slackBurst } from './load/slack';
import { startBare, startBot, type Target } from './load/targets';

/**
 * Open-loop load on the local bot (`npm start`'s composition): confirm-promotion ticks of SERVICES canaries whose
 * gates wait for approval, at fixed rates, next to a bare Node server answering 403 at the same rates in the same
 * run. Each server runs in its own process; this one only sends. Bounded: SECONDS per rate, loopback only.
 */
const RATES = (process.env.RATES ?? '100,250,500,1000').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 5);
const SERVICES = Number(process.env.SERVICES ?? 200);

async function main(): Promise<void> {
  console.log(
    `node ${process.version}, ${SERVICES} canaries waiting at a manual gate, ${SECONDS} s per rate, open loop`,
  );
  const bare = await measure(await startBare());
  const target = await startBot(SERVICES);
  const bot = await measure(target, true);
  const burst = await slackBurst(target, 50, SERVICES);
  await target.stop();
  console.log('rate/s   bare p50   bare p99    bot p50    bot p99   p99 ratio    bot max  bot CPU/call  answers (bot)');
  for (const rate of RATES) {
    const [b, r] = [bare.get(rate), bot.get(rate)] as [Measured, Measured];
    const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);
    console.log(
      [
        String(rate).padEnd(6),
        ms(percentile(b.latencies, 0.5)),
        ms(percentile(b.latencies, 0.99)),
        ms(percentile(r.latencies, 0.5)),
        ms(percentile(r.latencies, 0.99)),
        `${(percentile(r.latencies, 0.99) / percentile(b.latencies, 0.99)).toFixed(1)} x`.padStart(11),
        ms(percentile(r.latencies, 1)),
        `${r.cpuPerCallMs?.toFixed(2) ?? '-'} ms`.padStart(13),
        ` ${answers(r)}`,
      ].join(' '),
    );
  }
  console.log(`targets: bot p99 within 10 x bare Node at 500/s; no answer slower than 1000 ms at any rate`);
  console.log('Slack under load (the same bot, after the Flagger load):');
  for (const line of burst) console.log(`  ${line}`);
  console.log(`Lambda-shaped (the Flagger function's handler per request, dynalite as DynamoDB):`);
  console.log(`  ${lambdaLine(await lambdaShaped(SERVICES, Number(process.env.LAMBDA_CALLS ?? 2000)))}`);
}

type Measured = LoadResult & { cpuPerCallMs?: number };

/**
 * Every rate against one target, a second of rest between rates. For the bot, also the CPU time its main thread
 * spent per call at each rate (the rest included, so the tail of each rate's work is counted).
 */
async function measure(target: Target, isBot = false): Promise<Map<number, Measured>> {
  const results = new Map<number, Measured>();
  const cpu = async () => {
    const { user, system } = (await target.ask('cpu')) as { user: number; system: number };
    return (user + system) / 1000;
  };
  try {
    for (const rate of RATES) {
      const url = `${target.url}/flagger/confirm-promotion`;
      const body = (i: number) => confirmPromotion(i, SERVICES);
      const before = isBot ? await cpu() : 0;
      const result = await openLoop({ url, rate, seconds: SECONDS, body, label });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const calls = rate * SECONDS;
      results.set(rate, isBot ? { ...result, cpuPerCallMs: ((await cpu()) - before) / calls } : result);
    }
  } finally {
    // The bot is kept for the Slack burst; the bare server is done.
    if (!isBot) await target.stop();
  }
  return results;
}

/** A refusal for load (backpressure) told apart from the gate's own "waiting for approval". */
const label = (status: number, body: string) =>
  body.startsWith('release-bot is busy') ? `${status} busy` : `${status}`;

/** Answer counts, and the calls Flagger would have counted as refusals by timeout. */
function answers(result: LoadResult): string {
  const statuses = [...result.answers].map(([kind, n]) => `${n} x ${kind}`);
  if (result.timeouts) statuses.push(`${result.timeouts} past ${FLAGGER_TIMEOUT_MS / 1000} s`);
  if (result.errors) statuses.push(`${result.errors} failed`);
  return statuses.join(', ');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
