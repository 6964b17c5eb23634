import { performance } from 'node:perf_hooks';
import { ACTIONS } from '../shared/slack/blocks';
import { buttonValue, payload, SIGNING_SECRET, startHarness } from '../testkit/bot';
import { buttonClick, sign } from '../testkit/slack-requests';

/**
 * Gate latency on the local server (the same handlers as Lambda, dynalite on disk, a fake Slack on loopback).
 * For N releases: Flagger's confirm-promotion call until the approval request reaches Slack; the repeated
 * (refused) confirm call; the approving click's answer; and the next confirm call, answered 200.
 */
const RELEASES = Number(process.env.RELEASES ?? 40);

async function main(): Promise<void> {
  const h = await startHarness();
  const firstCall: number[] = [];
  const toSlack: number[] = [];
  const refused: number[] = [];
  const click: number[] = [];
  const opened: number[] = [];
  try {
    for (let i = 1; i <= RELEASES; i++) {
      const body = payload('Progressing', `rev-${i}`);
      const posts = h.slack.called('chat.postMessage').length;
      const t0 = performance.now();
      const first = await fetch(`${h.bot.url}/flagger/confirm-promotion`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      firstCall.push(performance.now() - t0);
      await first.text();
      while (
        !h.slack
          .called('chat.postMessage')
          .slice(posts)
          .some((c) => JSON.stringify(c.args.blocks ?? []).includes(ACTIONS.approve))
      ) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      toSlack.push(performance.now() - t0);
      await h.bot.queue.drain();

      const post = async (
        path: string,
        request: { body: string; headers?: Record<string, string> },
        status: number,
      ) => {
        const t = performance.now();
        const res = await fetch(`${h.bot.url}${path}`, { method: 'POST', ...request });
        const elapsed = performance.now() - t;
        if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${await res.text()}`);
        await h.bot.queue.drain(); // background Slack work, not part of the answer's latency
        return elapsed;
      };
      refused.push(await post('/flagger/confirm-promotion', { body: JSON.stringify(body) }, 403));
      const value = buttonValue(h.slack, ACTIONS.approve);
      click.push(
        await post('/slack/events', sign(buttonClick(ACTIONS.approve, value, 'U0APPROVER1'), SIGNING_SECRET), 200),
      );
      opened.push(await post('/flagger/confirm-promotion', { body: JSON.stringify(body) }, 200));
    }
  } finally {
    await h.stop();
  }
  console.log(`node ${process.version}, ${RELEASES} releases, local server + dynalite + fake Slack on loopback`);
  console.log('measure                                              p50      p95      max');
  row('Flagger confirm call, opening the request (403)', firstCall);
  row('  ... until the request with buttons reached Slack', toSlack);
  row('Flagger confirm call while waiting (403)', refused);
  row('Approve click answered (Slack needs < 3000 ms)', click);
  row('Next Flagger confirm call after the click (200)', opened);
}

function row(label: string, values: number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1).padStart(6);
  console.log(`${label.padEnd(52)} ${at(0.5)} ms ${at(0.95)} ms ${at(1)} ms`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
