import { ACTIONS } from '../shared/slack/blocks';
import { SIGNING_SECRET } from '../testkit/bot';
import { buttonClick, sign } from '../testkit/slack-requests';
import { openLoop, percentile } from './load/open-loop';
import { confirmPromotion } from './load/releases';
import { startBot, type Target } from './load/targets';

/**
 * Soak: MINUTES of mixed traffic on the local bot. Flagger ticks of SERVICES canaries at RATE/s, open loop; every
 * 10 s, 5 canaries ship a new revision: the tick that sees it opens a new release and its approval request, an
 * approver clicks Approve (signed as Slack signs it), and the next tick must be answered 200. Prints, each minute,
 * the bot's resident memory, the ticks' p99, and releases approved; at the end what was lost (nothing, or a list).
 */
const MINUTES = Number(process.env.MINUTES ?? 30);
const SERVICES = Number(process.env.SERVICES ?? 100);
const RATE = Number(process.env.RATE ?? 100);

type Button = { channel: string; ts: string; value: string };

async function main(): Promise<void> {
  const bot = await startBot(SERVICES, { NODE_OPTIONS: '--expose-gc' });
  const revision = Array.from({ length: SERVICES }, () => 1);
  const lost: string[] = [];
  let shipped = 0;
  let approved = 0;
  const ship = async (i: number) => {
    revision[i] = (revision[i] ?? 1) + 1;
    const rev = `rev-${revision[i]}`;
    const previous = ((await bot.ask('buttons')) as Button[])[i]?.value;
    const opening = await flagger(bot, confirmPromotion(i, SERVICES, rev));
    if (opening !== 403) return lost.push(`canary ${i} ${rev}: the first tick was answered ${opening}`);
    shipped++;
    const buttons = await untilPosted(bot, i, previous);
    const signed = sign(
      buttonClick(ACTIONS.approve, buttons.value, 'U0APPROVER1', buttons.channel, buttons.ts),
      SIGNING_SECRET,
    );
    const click = await fetch(`${bot.url}/slack/events`, { method: 'POST', ...signed });
    await click.text();
    const next = await flagger(bot, confirmPromotion(i, SERVICES, rev), true);
    if (click.status === 200 && next === 200) approved++;
    else lost.push(`canary ${i} ${rev}: click ${click.status}, next tick ${next}`);
  };
  console.log(`soak: ${MINUTES} min, ${SERVICES} canaries, ${RATE} Flagger ticks/s, 5 releases approved every 10 s`);
  const heapMiB = async () => Math.round(Number(await bot.ask('heap')) / 1024 / 1024);
  console.log('minute   bot RSS   bot heap    tick p50   tick p99   ticks   releases approved');
  console.log(`0        ${String(await bot.rssMiB()).padStart(4)} MiB  ${String(await heapMiB()).padStart(4)} MiB`);
  let next = 0;
  const releases = setInterval(() => {
    for (let k = 0; k < 5; k++) void ship(next++ % SERVICES);
  }, 10_000);
  try {
    for (let minute = 1; minute <= MINUTES; minute++) {
      const ticks = await openLoop({
        url: `${bot.url}/flagger/confirm-promotion`,
        rate: RATE,
        seconds: 60,
        body: (i) => confirmPromotion(i, SERVICES, `rev-${revision[i % SERVICES]}`),
      });
      if (ticks.timeouts > 0) lost.push(`minute ${minute}: ${ticks.timeouts} ticks not answered within 10 s`);
      const codes = [...ticks.errorCodes].map(([code, n]) => `${n} x ${code}`).join(', ');
      if (ticks.errors > 0) lost.push(`minute ${minute}: ${ticks.errors} ticks failed (${codes})`);
      const ms = (q: number) => `${percentile(ticks.latencies, q).toFixed(1)} ms`.padStart(10);
      console.log(
        `${String(minute).padEnd(8)} ${String(await bot.rssMiB()).padStart(4)} MiB  ${String(await heapMiB()).padStart(4)} MiB ${ms(0.5)} ${ms(0.99)} ` +
          `${String(ticks.latencies.length).padStart(7)}   ${approved}/${shipped}`,
      );
    }
  } finally {
    clearInterval(releases);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await bot.stop();
  }
  console.log(`ticks after an approval refused for load (busy) and asked again a second later: ${busyRetries}`);
  console.log(
    lost.length === 0
      ? `lost: nothing (${approved}/${shipped} releases approved and opened)`
      : `lost:\n${lost.join('\n')}`,
  );
  if (lost.length > 0) process.exitCode = 1;
}

/** A confirm-promotion tick's status; `again`: a refusal for load is asked again, as Flagger's next tick would. */
async function flagger(bot: Target, body: string, again = false): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${bot.url}/flagger/confirm-promotion`, { method: 'POST', body });
    const text = await res.text();
    if (!again || attempt === 5 || !text.startsWith('release-bot is busy')) return res.status;
    busyRetries++;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

let busyRetries = 0;

/** The canary's newest Approve button, once the request for its new release reached (the fake) Slack. */
async function untilPosted(bot: Target, i: number, previous?: string): Promise<Button> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const button = ((await bot.ask('buttons')) as Button[])[i];
    if (button && button.value !== previous) return button;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no approval request was posted for canary ${i}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
