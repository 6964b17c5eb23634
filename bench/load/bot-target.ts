import { ACTIONS } from '../../shared/slack/blocks';
import { startHarness } from '../../testkit/bot';
import type { FakeSlack } from '../../testkit/fake-slack';
import { channelOf, confirmPromotion, loadConfig } from './releases';

/**
 * The bot under load: `npm start`'s composition (local server, dynalite on disk, the outbox queue) with a fake Slack
 * on loopback, SERVICES canaries configured, and each one's promotion gate already waiting for approval, so every
 * call the generator sends is the common one: a confirm-promotion tick that finds the gate still waiting.
 * Prints {"ready": url, "buttons"} when ready (each request's Approve button: channel, message ts, value); answers
 * "rss" messages; stops on SIGTERM.
 */
const SERVICES = Number(process.env.SERVICES ?? 200);

async function main(): Promise<void> {
  const h = await startHarness(loadConfig(SERVICES));
  for (let i = 0; i < SERVICES; i++) {
    const answer = await h.post('/flagger/confirm-promotion', confirmPromotion(i, SERVICES));
    if (answer.status !== 403) throw new Error(`opening gate ${i}: ${answer.status} ${answer.text}`);
  }
  process.on('message', (m) => {
    if (m === 'rss') process.send?.(process.memoryUsage().rss);
  });
  process.once('SIGTERM', () => {
    void h.stop().then(() => process.exit(0));
  });
  console.log(JSON.stringify({ ready: h.bot.url, buttons: approveButtons(h.slack, SERVICES) }));
}

/** Where each canary's Approve button is, as a person's click sends it back. */
function approveButtons(slack: FakeSlack, services: number): { channel: string; ts: string; value: string }[] {
  return Array.from({ length: services }, (_, i) => {
    const post = slack.called('chat.postMessage').find((c) => {
      const blocks = JSON.stringify(c.args.blocks ?? []);
      return c.args.channel === channelOf(i) && blocks.includes(ACTIONS.approve);
    });
    const blocks = (post?.args.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
    const value = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTIONS.approve)?.value;
    if (!post || !value) throw new Error(`no approval request was posted for canary ${i}`);
    return { channel: channelOf(i), ts: String((post.result as { ts: string }).ts), value };
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
