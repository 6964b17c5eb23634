import { ACTIONS } from '../../shared/slack/blocks';
import { startHarness } from '../../testkit/bot';
import type { FakeSlack } from '../../testkit/fake-slack';
import { channelOf, confirmPromotion, loadConfig } from './releases';

/**
 * The bot under load: `npm start`'s composition (local server, dynalite on disk, the outbox queue) with a fake Slack
 * on loopback, SERVICES canaries configured, and each one's promotion gate already waiting for approval, so every
 * call the generator sends is the common one: a confirm-promotion tick that finds the gate still waiting.
 * Prints {"ready": url, "buttons"} when ready (each request's Approve button: channel, message ts, value); answers
 * the messages "rss" (its resident memory), "heap" (the bot thread's V8 heap in use), "cpu" (the bot thread's CPU
 * time) and "buttons" (the newest Approve buttons); stops on SIGTERM.
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
    // The bot thread's CPU time so far (µs), without the store's worker thread: what each call costs the thread
    // that accepts, reads and answers every request.
    if (m === 'cpu') process.send?.(process.threadCpuUsage());
    if (m === 'heap') {
      // What is retained, not garbage not yet collected: the soak starts this process with --expose-gc.
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.(process.memoryUsage().heapUsed);
    }
    if (m === 'buttons') process.send?.(approveButtons(h.slack, SERVICES));
  });
  process.once('SIGTERM', () => {
    void h.stop().then(() => process.exit(0));
  });
  console.log(JSON.stringify({ ready: h.bot.url, buttons: approveButtons(h.slack, SERVICES) }));
}

type Button = { channel: string; ts: string; value: string };
const newest = new Map<string, Button>();

/**
 * Where each canary's newest Approve button is, as a person's click sends it back. The fake Slack's record of calls
 * is emptied as it is read, so a long soak measures the bot's memory, not the fake's.
 */
function approveButtons(slack: FakeSlack, services: number): Button[] {
  for (const call of slack.calls.splice(0)) {
    if (call.method !== 'chat.postMessage') continue;
    const blocks = (call.args.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
    const value = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === ACTIONS.approve)?.value;
    const channel = String(call.args.channel);
    if (value) newest.set(channel, { channel, ts: String((call.result as { ts: string }).ts), value });
  }
  return Array.from({ length: services }, (_, i) => {
    const button = newest.get(channelOf(i));
    if (!button) throw new Error(`no approval request was posted for canary ${i}`);
    return button;
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
