import { performance } from 'node:perf_hooks';
import { ACTIONS } from '../../shared/slack/blocks';
import { SIGNING_SECRET } from '../../testkit/bot';
import { buttonClick, sign, slashCommand } from '../../testkit/slack-requests';
import { percentile } from './open-loop';
import { confirmPromotion, serviceName } from './releases';
import type { Target } from './targets';

type Button = { channel: string; ts: string; value: string };

/**
 * Slack under load: for each of `releases` waiting canaries, four requests at once, signed as Slack signs them:
 * Approve by two approvers (quorum 1: one approves, the other is told it is decided), a click by someone who may
 * not approve, and `/canary status`. All 4 x releases at the same moment; Slack wants each acknowledged in 3 s.
 * Then Flagger's next confirm call shows what was applied: each of those gates open, every other still waiting.
 */
export async function slackBurst(target: Target, releases: number, services: number): Promise<string[]> {
  const buttons = (target.ready.buttons as Button[]).slice(0, releases);
  const requests = buttons.flatMap((button, i) => [
    buttonClick(ACTIONS.approve, button.value, 'U0APPROVER1', button.channel, button.ts),
    buttonClick(ACTIONS.approve, button.value, 'U0APPROVER2', button.channel, button.ts),
    buttonClick(ACTIONS.approve, button.value, 'U0STRANGER1', button.channel, button.ts),
    slashCommand(`status load/${serviceName(i, services)}`, 'U0APPROVER1', button.channel),
  ]);
  const started = performance.now();
  const acks = await Promise.all(
    requests.map(async (body) => {
      const signed = sign(body, SIGNING_SECRET);
      const res = await fetch(`${target.url}/slack/events`, { method: 'POST', ...signed });
      await res.text();
      return { status: res.status, ms: performance.now() - started };
    }),
  );
  const ms = acks.map((a) => a.ms);
  const notOk = acks.filter((a) => a.status !== 200).length;
  const opened = await confirmAll(target, services);
  return [
    `${requests.length} requests at once across ${releases} releases: acknowledged p50 ${percentile(ms, 0.5).toFixed(0)} ms, ` +
      `p99 ${percentile(ms, 0.99).toFixed(0)} ms, slowest ${percentile(ms, 1).toFixed(0)} ms (Slack waits 3000 ms); ` +
      `${notOk} not 200`,
    `then Flagger's confirm calls: ${opened.filter((o, i) => o && i < releases).length}/${releases} approved gates open, ` +
      `${opened.filter((o, i) => o && i >= releases).length}/${services - releases} others open (0 expected)`,
  ];
}

/** Whether each canary's next confirm-promotion call is answered 200 (the approval applied). */
async function confirmAll(target: Target, services: number): Promise<boolean[]> {
  const open: boolean[] = [];
  // The approvals are applied before the click is acknowledged; the Slack posts after it run in the background.
  for (let i = 0; i < services; i++) {
    const res = await fetch(`${target.url}/flagger/confirm-promotion`, {
      method: 'POST',
      body: confirmPromotion(i, services),
    });
    await res.text();
    open.push(res.status === 200);
  }
  return open;
}
