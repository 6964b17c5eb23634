import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness, TEST_CONFIG } from '../../testkit/bot';

const event = (message: string, phase = 'Progressing', checksum = 'rev-1', type = 'Normal') =>
  payload(phase, checksum, { eventMessage: message, eventType: type, timestamp: String(Date.now()) });

describe('Local server: one Slack thread per release', () => {
  let h: Harness;

  afterEach(async () => {
    await h.stop();
  });

  it('follows a release from new revision to promotion in one thread, replying only for what people must see', async () => {
    h = await startHarness();
    // Arrange: the hook sequence Flagger sends for one release (interval ticks squeezed together)
    await h.flagger('confirm-rollout', payload('Succeeded', 'rev-0'));
    await h.flagger(
      'event',
      event('New revision detected! Scaling up product-service.production', 'Progressing', 'rev-0'),
    );
    await h.flagger('pre-rollout', payload('Progressing', 'rev-1'));
    for (const weight of [10, 20, 30, 40, 50]) {
      await h.flagger('rollout', payload('Progressing', 'rev-1'));
      await h.flagger('event', event(`Advance product-service.production canary weight ${weight}`));
    }
    for (let tick = 0; tick < 3; tick++) {
      await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
      await h.flagger(
        'event',
        event(
          'Halt product-service.production advancement waiting for promotion approval',
          'Progressing',
          'rev-1',
          'Warning',
        ),
      );
    }

    // Act
    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    await h.flagger(
      'event',
      event('Copying product-service.production template spec to product-service-primary.production'),
    );
    await h.flagger('post-rollout', payload('Succeeded', 'rev-1'));

    // Assess: one root message, replies only for the request, the approval and the end
    const posts = h.slack.called('chat.postMessage');
    const root = posts[0];
    expect(posts.filter((p) => !p.args.thread_ts)).toHaveLength(1);
    expect(posts.slice(1).every((p) => p.args.thread_ts === root?.result.ts)).toBe(true);
    expect(posts.slice(1).map((p) => String(p.args.text))).toEqual([
      expect.stringContaining(
        'Promote the canary to primary for production/product-service release #1: Waiting for approval',
      ),
      expect.stringContaining('<@U0APPROVER1> approved: promote the canary to primary'),
      expect.stringContaining('Promoted: the primary now runs the new revision'),
    ]);
    const lastStatus = h.slack
      .called('chat.update')
      .filter((u) => u.args.ts === root?.result.ts)
      .at(-1);
    expect(String(lastStatus?.args.text)).toBe(
      'production/product-service release #1: Succeeded, 100% on the promoted primary',
    );
    const statusBlocks = JSON.stringify(lastStatus?.args.blocks);
    expect(statusBlocks).toContain('*10* → *20* → *30* → *40* → *50* → *100*');
    expect(statusBlocks.match(/Halt product-service.production advancement/g)).toHaveLength(1);
    // The status message is edited only when its content changed, not on every hook call.
    expect(h.slack.called('chat.update').length).toBeLessThan(20);
  });

  it('shows a long Flagger message cut and once, however often Flagger repeats it', async () => {
    h = await startHarness();
    // Arrange: a Warning quoting a 60 KB webhook response body, repeated every tick
    const message = `Halt product-service.production advancement external check load-test failed ${'b'.repeat(60_000)}`;
    await h.flagger('rollout', payload('Progressing', 'rev-1'));

    // Act
    for (let tick = 0; tick < 5; tick++) await h.flagger('event', event(message, 'Progressing', 'rev-1', 'Warning'));

    // Assess
    const status = h.slack.called('chat.update').at(-1) ?? h.slack.called('chat.postMessage')[0];
    const blocks = JSON.stringify(status?.args.blocks);
    expect(blocks.match(/external check load-test failed/g)).toHaveLength(1);
    expect(blocks).toMatch(/more characters cut\)/);
    expect(blocks.length).toBeLessThan(10_000);
  });

  it('asks again when a request expires, and the old buttons stop working', async () => {
    h = await startHarness(
      TEST_CONFIG.replace(
        'gates: { confirm-promotion: manual }',
        'approvalExpiry: 1s\n    gates: { confirm-promotion: manual }',
      ),
    );
    const pay = () => payload('Progressing', 'rev-1', {}, 'payment-service');
    await h.flagger('confirm-promotion', pay());
    const firstButton = buttonValue(h.slack, ACTIONS.approve);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await h.flagger('confirm-promotion', pay());
    await h.click(ACTIONS.approve, firstButton, 'U0PAY00001');

    expect(again.status).toBe(403);
    expect(JSON.parse(buttonValue(h.slack, ACTIONS.approve))).toMatchObject({ a: 2 });
    expect(h.slack.texts().some((t) => t.includes('expired without enough approvals'))).toBe(true);
    expect(String(h.slack.called('chat.postEphemeral').at(-1)?.args.text)).toContain('That approval request expired');
    const audit = await h.bot.deps.store.listAudit('production/payment-service', 10);
    expect(audit.map((a) => a.action)).toContain('gate-reopened');
  });

  it('closes the thread of a release that a newer revision replaced', async () => {
    h = await startHarness();
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    const next = await h.flagger('confirm-promotion', payload('Progressing', 'rev-2'));

    expect(next.text).toContain('release #2');
    expect(h.slack.texts().some((t) => t.includes('Superseded: a newer revision started release #2'))).toBe(true);
    expect(h.slack.texts().some((t) => t.includes('Closed without a decision: the release was superseded'))).toBe(true);
  });
});
