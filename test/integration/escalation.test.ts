import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness } from '../../testkit/bot';

const SERVICE = 'production/product-service';
const CONFIG = `
services:
  ${SERVICE}:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1, U0APPROVER2] }
    quorum: 2
    approvalExpiry: 10m
    escalateAfter: 1m
    escalateTo: { groups: [S0ONCALL01], users: [U0LEAD0001] }
    gates: { confirm-promotion: manual }
`;
const MENTION = '<!subteam^S0ONCALL01> <@U0LEAD0001>';

describe('Local server: an unanswered request is escalated in its thread, once', () => {
  let h: Harness;
  /** How far the bot's clock runs ahead of the real one. */
  let ahead = 0;

  beforeEach(async () => {
    ahead = 0;
    h = await startHarness(CONFIG, () => new Date(Date.now() + ahead));
  });

  afterEach(async () => {
    await h.stop();
  });

  const promotion = () => h.flagger('confirm-promotion', payload('WaitingPromotion', 'rev-1'));
  const escalations = () =>
    h.slack.called('chat.postMessage').filter((c) => String(c.args.text).includes('<!subteam^S0ONCALL01>'));

  it('mentions the escalation group and user in the thread once, after escalateAfter, however many calls come', async () => {
    // Arrange: the request is posted and one approver approves; the quorum is two
    await promotion();
    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');
    ahead = 30_000;
    await promotion();
    const early = escalations().length;

    // Act: Flagger's checks after a minute, two of them at once (duplicate webhooks), then more
    ahead = 61_000;
    const answers = await Promise.all([promotion(), promotion()]);
    ahead = 71_000;
    await promotion();
    ahead = 120_000;
    await promotion();

    // Assert
    expect(early).toBe(0);
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    const posted = escalations();
    expect(posted).toHaveLength(1);
    const status = h.slack.called('chat.postMessage')[0];
    expect(posted[0]?.args.thread_ts).toEqual(expect.stringMatching(/^\d+\.\d+$/));
    expect(posted[0]?.args.thread_ts).toBe((status?.result as { ts?: string } | undefined)?.ts);
    expect(String(posted[0]?.args.reply_broadcast ?? false)).toBe('false'); // in the thread, not the channel
    expect(String(posted[0]?.args.text)).toContain(
      `${MENTION} The request to promote the canary to primary has waited 1 min`,
    );
    expect(String(posted[0]?.args.text)).toContain('(1/2 approvals)');
    expect(h.slack.texts().join('\n')).not.toMatch(/<!channel>|<!here>/);
    const statusEdits = h.slack.called('chat.update').filter((c) => c.args.ts === posted[0]?.args.thread_ts);
    expect(JSON.stringify(statusEdits.at(-1)?.args.blocks)).toContain('escalated <!date^');
    const history = JSON.parse((await h.command(`history ${SERVICE}`, 'U0ANYONE01')).text).text;
    expect(history).toContain('escalated confirm-promotion #1: accepted, escalated to @S0ONCALL01, @U0LEAD0001');
  });

  it('never escalates a request approved before escalateAfter', async () => {
    // Arrange
    await promotion();
    for (const user of ['U0APPROVER1', 'U0APPROVER2']) {
      await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), user);
    }

    // Act
    ahead = 61_000;
    const answer = await promotion();
    ahead = 200_000;
    await promotion();

    // Assert
    expect(answer.status).toBe(200);
    expect(escalations()).toEqual([]);
  });

  it('posts an escalation whose job was lost (a crash between the mark and the queue) at a later call, once', async () => {
    // Arrange: the escalation was marked on the gate, and its job never queued
    await promotion();
    const gate = await h.bot.deps.store.getGate(SERVICE, 1, 'confirm-promotion');
    if (!gate) throw new Error('no gate');
    const at = new Date(Date.now() + 61_000).toISOString();
    await h.bot.deps.store.markEscalated(gate, {
      attempt: 1,
      at,
      to: { groups: ['S0ONCALL01'], users: ['U0LEAD0001'] },
    });

    // Act: a check within the repost delay, then two after it
    ahead = 62_000;
    await promotion();
    ahead = 70_000;
    await promotion();
    ahead = 80_000;
    await promotion();

    // Assert
    expect(escalations()).toHaveLength(1);
    expect((await h.bot.deps.store.getGate(SERVICE, 1, 'confirm-promotion'))?.escalation?.posted).toBe(true);
  });
});
