import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness } from '../../testkit/bot';

describe('Local server: approvals in Slack answer Flagger gates', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.stop();
  });

  it('refuses a manual confirm-promotion, posts a request with buttons, and opens after an approver clicks Approve', async () => {
    // Act: Flagger asks
    const first = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    // Assess: refused with who can approve; a status message and a broadcast request with buttons
    expect(first.status).toBe(403);
    expect(first.text).toContain('waiting for approval to promote the canary to primary');
    expect(first.text).toContain('U0APPROVER1');
    const posts = h.slack.called('chat.postMessage');
    expect(posts).toHaveLength(2);
    expect(posts[0]?.args.channel).toBe('C0RELEASES1');
    expect(posts[1]?.args.thread_ts).toBe(posts[0]?.result.ts);
    expect(posts[1]?.args.reply_broadcast).toBe('true');
    const value = buttonValue(h.slack, ACTIONS.approve);
    expect(JSON.parse(value)).toEqual({ s: 'production/product-service', r: 1, g: 'confirm-promotion', a: 1 });

    // Act: an approver clicks Approve
    const click = await h.click(ACTIONS.approve, value, 'U0APPROVER1');
    const second = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    // Assess
    expect(click.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.text).toContain('approved by U0APPROVER1');
    const updates = h.slack.called('chat.update').map((c) => String(c.args.text));
    expect(updates.some((t) => t.includes('Approved by <@U0APPROVER1>'))).toBe(true);
    const ephemeral = h.slack.called('chat.postEphemeral');
    expect(ephemeral.at(-1)?.args).toMatchObject({ user: 'U0APPROVER1', channel: 'C0RELEASES1' });
    expect(String(ephemeral.at(-1)?.args.text)).toContain('Approved: Flagger may now promote');
  });

  it('keeps an opened gate open across a restart', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER2');

    await h.restart();
    const after = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(after.status).toBe(200);
  });

  it('refuses a click from someone who is not an approver, tells them why, and records the refusal', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0STRANGER');
    const answer = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(answer.status).toBe(403);
    const told = h.slack.called('chat.postEphemeral').at(-1);
    expect(told?.args.user).toBe('U0STRANGER');
    expect(String(told?.args.text)).toContain('you are not an approver for production/product-service');
    const audit = await h.bot.deps.store.listAudit('production/product-service', 10);
    expect(audit.find((a) => a.actor === 'U0STRANGER')).toMatchObject({ action: 'approve', outcome: 'refused' });
  });

  it('lets a member of an approver user group approve, resolved through the Slack API', async () => {
    h.slack.groups.set('S0SREGROUP', ['U0ONCALL01']);
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    await h.command('approve production/product-service', 'U0ONCALL01');
    const answer = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    expect(answer.status).toBe(200);
    expect(h.slack.called('usergroups.users.list')[0]?.args.usergroup).toBe('S0SREGROUP');
  });

  it('approves with /canary approve by the short service name', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    const reply = await h.command('approve product-service', 'U0APPROVER1');

    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(reply.text).text).toContain('Approved: Flagger may now promote');
    expect((await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'))).status).toBe(200);
  });

  it('rejects through the reason dialog, keeps refusing, and makes the rollback hook say yes', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const before = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    await h.click(ACTIONS.reject, buttonValue(h.slack, ACTIONS.reject), 'U0APPROVER1');
    const opened = h.slack.called('views.open')[0];
    const view = opened?.args.view as { callback_id: string; private_metadata: string };
    const submitted = await h.submitView(view.callback_id, view.private_metadata, 'p95 doubled', 'U0APPROVER1');
    const gate = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const rollback = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    expect(before.status).toBe(403);
    expect(view.callback_id).toBe(REJECT_VIEW);
    expect(opened?.args.trigger_id).toBe('12345.98765.abcd');
    expect(submitted.status).toBe(200);
    expect(gate.status).toBe(403);
    expect(gate.text).toContain('rejected by U0APPROVER1: p95 doubled');
    expect(rollback.status).toBe(200);
    expect(h.slack.texts().some((t) => t.includes('Reason: p95 doubled'))).toBe(true);
  });

  it('warns the person who rejects when Flagger never called the rollback webhook for this release', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    const reply = await h.command('reject production/product-service error budget burning', 'U0APPROVER1');

    expect(JSON.parse(reply.text).text).toContain('Flagger has not called the rollback webhook for this release');
  });

  it('rolls back on /canary rollback only after the confirmation button', async () => {
    await h.flagger('rollout', payload('Progressing', 'rev-1'));

    const asked = await h.command('rollback production/product-service', 'U0APPROVER1');
    const meanwhile = await h.flagger('rollback', payload('Progressing', 'rev-1'));
    const confirmButton = JSON.parse(asked.text).blocks[1].elements[0];
    await h.click(confirmButton.action_id, confirmButton.value, 'U0APPROVER1');
    const after = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    expect(meanwhile.status).toBe(403);
    expect(confirmButton.confirm.title.text).toBe('Roll back?');
    expect(after.status).toBe(200);
    expect(after.text).toContain('requested by U0APPROVER1');
  });

  it('holds traffic steps while paused and lets them through after resume', async () => {
    await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));

    await h.command('pause production/product-service load test running', 'U0APPROVER1');
    const paused = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));
    await h.command('resume production/product-service', 'U0APPROVER1');
    const resumed = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));

    expect(paused.status).toBe(403);
    expect(paused.text).toContain('paused by U0APPROVER1 (load test running)');
    expect(resumed.status).toBe(200);
  });

  it('asks per traffic step from the configured weight up', async () => {
    const steps: number[] = [];
    for (let i = 0; i < 3; i++)
      steps.push((await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'))).status);

    expect(steps).toEqual([200, 200, 403]); // 10 and 20 are automatic, 30 needs a person
    await h.command('approve production/product-service', 'U0APPROVER1');
    expect((await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'))).status).toBe(200);
    const at40 = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));
    expect(at40.status).toBe(403);
    expect(at40.text).toContain('shift 40% of traffic');
  });

  it('never lets an approval of one release open the next release', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    await h.command('approve production/product-service', 'U0APPROVER1');
    expect((await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'))).status).toBe(200);
    await h.flagger('post-rollout', payload('Succeeded', 'rev-1'));

    const next = await h.flagger('confirm-promotion', payload('Progressing', 'rev-2'));
    const oldButton = await h.click(
      ACTIONS.approve,
      JSON.stringify({ s: 'production/product-service', r: 1, g: 'confirm-promotion', a: 1 }),
      'U0APPROVER2',
    );

    expect(next.status).toBe(403);
    expect(next.text).toContain('release #2');
    expect(oldButton.status).toBe(200);
    expect(String(h.slack.called('chat.postEphemeral').at(-1)?.args.text)).toContain('belongs to release #1');
    const audit = await h.bot.deps.store.listAudit('production/product-service', 5);
    expect(audit.find((a) => a.actor === 'U0APPROVER2')).toMatchObject({
      action: 'approve',
      outcome: 'refused',
      run: 2,
    });
    expect((await h.flagger('confirm-promotion', payload('Progressing', 'rev-2'))).status).toBe(403);
  });

  it('answers /canary status, list, history and help', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    await h.command('approve production/product-service', 'U0APPROVER1');

    const status = JSON.parse((await h.command('status production/product-service', 'U0ANYONE01')).text).text;
    const list = JSON.parse((await h.command('list', 'U0ANYONE01')).text).text;
    const history = JSON.parse((await h.command('history production/product-service', 'U0ANYONE01')).text).text;
    const help = JSON.parse((await h.command('', 'U0ANYONE01')).text).text;

    expect(status).toContain('confirm-promotion: approved (1/1)');
    expect(list).toContain('production/payment-service');
    expect(history).toContain('<@U0APPROVER1> approve confirm-promotion #1: accepted');
    expect(help).toContain('/canary approve');
  });
});
