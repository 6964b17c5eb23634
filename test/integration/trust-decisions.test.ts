import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness, TEST_CONFIG } from '../../testkit/bot';

const SERVICE = 'production/product-service';
/** The test services, with requests that expire after a minute. */
const CONFIG = `
defaults: { approvalExpiry: 1m }
${TEST_CONFIG}`;
const MINUTE = 60_000;

describe('Local server: people decide only what is theirs to decide, and are told the truth', () => {
  let h: Harness;
  /** The bot's clock runs ahead of the real one by this much; Slack signatures allow 5 minutes. */
  let ahead = 0;

  beforeEach(async () => {
    ahead = 0;
    h = await startHarness(CONFIG, () => new Date(Date.now() + ahead));
  });

  afterEach(async () => {
    await h.stop();
  });

  const promotion = (extra: Record<string, string> = {}) =>
    h.flagger('confirm-promotion', payload('Progressing', 'rev-1', extra));
  const toldTo = (user: string) =>
    h.slack
      .called('chat.postEphemeral')
      .filter((c) => c.args.user === user)
      .map((c) => String(c.args.text));
  const audit = () => h.bot.deps.store.listAudit(SERVICE, 500);
  const gate = () => h.bot.deps.store.getGate(SERVICE, 1, 'confirm-promotion');
  const openRejectDialog = async (user: string) => {
    await h.click(ACTIONS.reject, buttonValue(h.slack, ACTIONS.reject), user);
    return h.slack.called('views.open').at(-1)?.args.view as { callback_id: string; private_metadata: string };
  };
  const requests = () =>
    h.slack.called('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks ?? []).includes(ACTIONS.approve));

  it('refuses an Approve click after the request expired though Flagger has not called since, and asks again at its next check', async () => {
    await promotion();
    const value = buttonValue(h.slack, ACTIONS.approve);

    ahead = 2 * MINUTE;
    await h.click(ACTIONS.approve, value, 'U0APPROVER1');
    const after = await promotion();

    expect(toldTo('U0APPROVER1').at(-1)).toMatch(
      /^:no_entry_sign: This request expired at \d\d:\d\d UTC without a decision; Flagger's next check will ask again with a new request\.$/,
    );
    expect((await audit()).find((a) => a.actor === 'U0APPROVER1')).toMatchObject({
      action: 'approve',
      outcome: 'refused',
    });
    expect(after.status).toBe(403);
    expect(await gate()).toMatchObject({ status: 'pending', attempt: 2, approvals: {} });
    expect(requests()).toHaveLength(2);
  });

  it('refuses /canary reject after the request expired, and nothing rolls back', async () => {
    await promotion();
    await h.flagger('rollback', payload('Progressing', 'rev-1'));

    ahead = 2 * MINUTE;
    const reply = await h.command(`reject ${SERVICE} too slow`, 'U0APPROVER2');
    const rollback = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    expect(JSON.parse(reply.text).text).toContain('This request expired at');
    expect(rollback.status).toBe(403);
    expect((await gate())?.status).toBe('pending');
  });

  it('refuses the approval of the deployer named in the webhook metadata, and lets them reject through the dialog', async () => {
    await promotion({ deployer: 'U0APPROVER1' });

    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');
    const view = await openRejectDialog('U0APPROVER1');
    const submitted = await h.submitView(view.callback_id, view.private_metadata, 'my change is bad', 'U0APPROVER1');
    const answer = await promotion();

    expect(toldTo('U0APPROVER1')[0]).toContain('you deployed this release of production/product-service');
    expect(JSON.parse(submitted.text)).toMatchObject({
      response_action: 'update',
      view: { title: { text: 'Rejected' }, blocks: [{ text: { text: expect.stringContaining('Rejected.') } }] },
    });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('rejected by U0APPROVER1: my change is bad');
  });

  it('tells a rejection in the dialog that lost to an approval that the gate is approved and how to roll back', async () => {
    await promotion();
    const view = await openRejectDialog('U0APPROVER2');

    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');
    const submitted = await h.submitView(view.callback_id, view.private_metadata, 'wait', 'U0APPROVER2');

    const errors = JSON.parse(submitted.text);
    expect(errors.response_action).toBe('errors');
    expect(errors.errors.reason).toContain('This was already approved by <@U0APPROVER1> before your rejection');
    expect(errors.errors.reason).toContain('`/canary rollback production/product-service` or the Roll back button');
    expect((await audit()).find((a) => a.actor === 'U0APPROVER2')).toMatchObject({
      action: 'reject',
      outcome: 'refused',
    });
  });

  it('tells an approver who clicked after a rejection who rejected, and audits the click refused', async () => {
    await promotion();
    const value = buttonValue(h.slack, ACTIONS.approve);

    await h.command(`reject ${SERVICE} p95 doubled`, 'U0APPROVER2');
    await h.click(ACTIONS.approve, value, 'U0APPROVER1');

    expect(toldTo('U0APPROVER1').at(-1)).toContain('<@U0APPROVER2> rejected this first (reason: p95 doubled)');
    expect((await audit()).find((a) => a.actor === 'U0APPROVER1')).toMatchObject({
      action: 'approve',
      outcome: 'refused',
      detail: 'lost to the rejection by U0APPROVER2: p95 doubled',
    });
  });

  it('tells each of many simultaneous approvers and rejecters what actually happened to the gate', async () => {
    const members = Array.from({ length: 12 }, (_, i) => `U0ONCALL${String(i).padStart(2, '0')}`);
    h.slack.groups.set('S0SREGROUP', members);
    await promotion();
    const approveValue = buttonValue(h.slack, ACTIONS.approve);
    const view = await openRejectDialog('U0APPROVER1');
    const approvers = members.filter((_, i) => i % 2 === 0);
    const rejecters = members.filter((_, i) => i % 2 === 1);

    const [, rejections] = await Promise.all([
      Promise.all(approvers.map((user) => h.click(ACTIONS.approve, approveValue, user))),
      Promise.all(rejecters.map((user) => h.submitView(view.callback_id, view.private_metadata, 'no', user))),
    ]);
    await h.bot.queue.drain();

    const status = (await gate())?.status;
    const trail = await audit();
    expect(['approved', 'rejected']).toContain(status);
    if (status === 'approved') {
      for (const r of rejections) expect(JSON.parse(r.text).errors.reason).toContain('already approved by');
      expect(trail.filter((a) => a.action === 'reject').every((a) => a.outcome === 'refused')).toBe(true);
    } else {
      for (const user of approvers) expect(toldTo(user).at(-1)).toContain('rejected this first');
      expect(trail.filter((a) => a.action === 'approve').every((a) => a.outcome === 'refused')).toBe(true);
      expect(trail.filter((a) => a.action === 'reject' && a.outcome === 'accepted')).toHaveLength(1);
    }
  });

  it('tells the person when a button value is not one the bot made, and changes nothing', async () => {
    await promotion();

    await h.click(ACTIONS.approve, '{"s":"production/product-service"', 'U0APPROVER1');

    expect(toldTo('U0APPROVER1')).toEqual([expect.stringContaining('That button is not one release-bot made')]);
    expect((await gate())?.approvals).toEqual({});
  });

  it('escapes mentions and links in a reason and a typed gate name before they reach Slack', async () => {
    await promotion();

    const approveReply = await h.command(`approve ${SERVICE} <!here>`, 'U0APPROVER1');
    const reason = '<!channel> look at <https://evil.example|the dashboard> cc <@U0APPROVER1> <!subteam^S0SREGROUP>';
    const rejectReply = await h.command(`reject ${SERVICE} ${reason}`, 'U0APPROVER2');

    // The bot's own sentences: the announcement in the thread and the answers (the request and status messages
    // are rendered by the Block Kit presenters, which have their own escaping tests).
    const announced = h.slack.texts().filter((t) => t.startsWith(':no_entry:'));
    const shown = [...announced, JSON.parse(approveReply.text).text, JSON.parse(rejectReply.text).text];
    expect(announced).toHaveLength(1);
    expect(shown.join('\n')).not.toMatch(/<!channel>|<!here>|<https|<!subteam\^S0SREGROUP>|<@U0APPROVER1>/);
    expect(announced[0]).toContain('Reason: &lt;!channel&gt; look at &lt;https://evil.example|the dashboard&gt;');
  });

  it('cuts a huge rejection reason before it is stored and shown, and says so', async () => {
    await promotion();

    await h.command(`reject ${SERVICE} ${'a'.repeat(3000)}`, 'U0APPROVER1');
    const answer = await promotion();

    expect((await gate())?.rejection?.reason).toMatch(/^a{500}… \(2500 more characters cut\)$/);
    expect(answer.text).toContain('(2500 more characters cut)');
    expect(answer.text.length).toBeLessThan(1000);
  });

  it('decides an approver listed by user ID without asking Slack for user-group members', async () => {
    await promotion();

    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');

    expect((await promotion()).status).toBe(200);
    expect(h.slack.called('usergroups.users.list')).toEqual([]);
  });
});
