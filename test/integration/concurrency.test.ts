import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness } from '../../testkit/bot';

const PAYMENT = 'production/payment-service';
const approvers = ['U0PAY00001', 'U0PAY00002', 'U0PAY00003', 'U0PAY00004', 'U0PAY00005'];

describe('Local server: concurrent and repeated decisions', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('counts 20 simultaneous clicks by 5 approvers as exactly 5 approvals and opens the gate once', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));
    const value = buttonValue(h.slack, ACTIONS.approve);

    const clicks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.click(ACTIONS.approve, value, approvers[i % approvers.length] ?? '')),
    );
    await h.bot.queue.drain();

    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const gate = await h.bot.deps.store.getGate(PAYMENT, 1, 'confirm-promotion');
    expect(Object.keys(gate?.approvals ?? {}).sort()).toEqual(approvers);
    expect(gate?.status).toBe('approved');
    const openings = h.slack.texts().filter((t) => t.includes('approved: promote the canary'));
    expect(openings).toHaveLength(1);
    const audit = await h.bot.deps.store.listAudit(PAYMENT, 100);
    expect(audit.filter((a) => a.action === 'approve' && a.outcome === 'accepted')).toHaveLength(5);
    expect(audit.filter((a) => a.action === 'approve' && a.outcome === 'duplicate')).toHaveLength(15);
    expect((await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'))).status).toBe(
      200,
    );
  });

  it('counts 20 simultaneous clicks by one approver once, leaving the gate closed', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));
    const value = buttonValue(h.slack, ACTIONS.approve);

    await Promise.all(Array.from({ length: 20 }, () => h.click(ACTIONS.approve, value, 'U0PAY00003')));

    const gate = await h.bot.deps.store.getGate(PAYMENT, 1, 'confirm-promotion');
    expect(gate?.approvals).toEqual({ U0PAY00003: expect.any(String) });
    expect(gate?.status).toBe('pending');
    const answer = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('1/5 approvals');
  });

  it('opens one run and one approval request for 10 duplicate webhooks arriving at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => h.flagger('confirm-promotion', payload('Progressing', 'rev-1'))),
    );

    expect(answers.every((a) => a.status === 403 && a.text.startsWith('waiting for approval'))).toBe(true);
    const record = await h.bot.deps.store.getService('production/product-service');
    expect(record?.runCount).toBe(1);
    const requests = h.slack.called('chat.postMessage').filter((c) => c.args.thread_ts);
    expect(requests).toHaveLength(1);
  });

  it('keeps a half-approved gate and its pending request across a restart', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));
    const value = buttonValue(h.slack, ACTIONS.approve);
    for (const user of approvers.slice(0, 3)) await h.click(ACTIONS.approve, value, user);

    await h.restart();
    const stillWaiting = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));
    for (const user of approvers.slice(3)) await h.click(ACTIONS.approve, value, user);
    const opened = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'payment-service'));

    expect(stillWaiting.status).toBe(403);
    expect(stillWaiting.text).toContain('3/5 approvals');
    expect(opened.status).toBe(200);
    expect(h.slack.called('chat.postMessage').filter((c) => c.args.reply_broadcast === 'true')).toHaveLength(1);
  });
});
