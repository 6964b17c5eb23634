import { openGate } from '../../shared/domain/gate';
import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness, TEST_CONFIG } from '../../testkit/bot';

const SERVICE = 'production/product-service';

/** An event webhook call as Flagger v1.44 sends it (CallEventWebhook: eventMessage, eventType, timestamp). */
const event = (message: string, type: 'Normal' | 'Warning' = 'Normal') =>
  payload('Progressing', 'rev-1', { eventMessage: message, eventType: type, timestamp: String(Date.now()) });
const advance = (weight: number) => event(`Advance product-service.production canary weight ${weight}`);

describe('Local server: the Flagger path can be trusted', () => {
  let h: Harness;
  /** How far the bot's clock runs ahead of the real one. */
  let ahead = 0;

  beforeEach(async () => {
    ahead = 0;
    h = await startHarness(TEST_CONFIG, () => new Date(Date.now() + ahead));
  });

  afterEach(async () => {
    await h.stop();
  });

  it('takes the weight only from Flagger stating it, so a Warning quoting "canary weight 50" skips no manual step', async () => {
    // Arrange: Flagger moved to 20, then another webhook's failure quotes a weight in its response body
    await h.flagger('rollout', payload('Progressing', 'rev-1'));
    for (const weight of [10, 20]) {
      await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));
      await h.flagger('event', advance(weight));
    }
    await h.flagger(
      'event',
      event(
        'Halt product-service.production advancement external check load-test failed {"canary weight 50":1}',
        'Warning',
      ),
    );
    await h.flagger('event', event('canary weight 50 reached, says the load tester'));

    // Act
    const answer = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));

    // Assert
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('waiting for approval to shift 30% of traffic to the canary');
    expect((await h.bot.deps.store.getRun(SERVICE, 1))?.weight).toBe(20);
  });

  it('withdraws the approval of someone a later hook names as the deployer, asks again, and opens on another approval', async () => {
    // Arrange: U0APPROVER1 approves before any hook names a deployer
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');

    // Act: the next hook names U0APPROVER1 as the deployer
    const named = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', { deployer: 'U0APPROVER1' }));
    const second = buttonValue(h.slack, ACTIONS.approve);
    await h.click(ACTIONS.approve, second, 'U0APPROVER2');
    const after = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    // Assert
    expect(named.status).toBe(403);
    expect(named.text).toContain('0/1 approvals');
    expect(named.text).toContain('not counted: U0APPROVER1, who deployed this release');
    expect(JSON.parse(second)).toMatchObject({ g: 'confirm-promotion', a: 2 });
    expect(h.slack.texts().some((t) => t.includes('<@U0APPROVER1> no longer counts'))).toBe(true);
    expect(after.status).toBe(200);
    expect(after.text).toContain('approved by U0APPROVER2');
    expect((await h.bot.deps.store.getRun(SERVICE, 1))?.deployers).toEqual(['U0APPROVER1']);
  });

  it('keeps the run small after many large events, and still records a rejection and its rollback', async () => {
    // Arrange: 100 events of about 60 KB (Flagger's body limit is 64 KB), all different
    await h.flagger('rollback', payload('Progressing', 'rev-1'));
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', { deployer: `U${'D'.repeat(30_000)}` }));
    const body = 'z'.repeat(60_000);
    for (let i = 0; i < 100; i++) {
      const answer = await h.flagger('event', event(`${i} ${body}`, i % 2 ? 'Normal' : 'Warning'));
      expect(answer.status).toBe(200);
    }
    const big = await h.bot.deps.store.getRun(SERVICE, 1);

    // Act
    const rejected = await h.command(`reject ${SERVICE} error budget burning`, 'U0APPROVER1');
    const gate = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const rollback = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    // Assert
    expect(JSON.stringify(big).length).toBeLessThan(32_000);
    expect(big?.timeline.at(-1)?.text).toMatch(/^99 z+… \(\d+ more characters cut\)$/);
    expect(JSON.parse(rejected.text).text).toContain('Rejected');
    expect(gate.text).toContain('rejected by U0APPROVER1');
    expect(rollback.status).toBe(200);
    const after = await h.bot.deps.store.getRun(SERVICE, 1);
    expect(after?.rollback?.by).toBe('U0APPROVER1');
    expect(JSON.stringify(after).length).toBeLessThan(32_000);
  });

  it('posts an approval request whose job was lost at the next Flagger call for that gate, once', async () => {
    // Arrange: the gate was opened, but its request-approval job never ran (the process stopped in between)
    await h.flagger('rollout', payload('Progressing', 'rev-1'));
    const run = await h.bot.deps.store.getRun(SERVICE, 1);
    const policy = h.bot.config.services.get(SERVICE);
    if (!run || !policy) throw new Error('no run');
    await h.bot.deps.store.openGate(openGate(policy, run, 'confirm-promotion', undefined, new Date()));
    const requestsBefore = h.slack.texts().filter((t) => t.includes('Waiting for approval')).length;

    // Act
    ahead = 10_000;
    const answer = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    ahead = 20_000;
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));

    // Assert
    expect(answer.status).toBe(403);
    expect(requestsBefore).toBe(0);
    const posted = h.slack
      .called('chat.postMessage')
      .filter((c) => String(c.args.text).includes('Waiting for approval'));
    expect(posted).toHaveLength(1);
    expect(JSON.parse(buttonValue(h.slack, ACTIONS.approve))).toMatchObject({ g: 'confirm-promotion', a: 1 });
    expect((await h.bot.deps.store.getGate(SERVICE, 1, 'confirm-promotion'))?.requestPosted).toBe(1);
  });

  it('rolls back a rejection whose rollback was never recorded (a crash between the two writes)', async () => {
    // Arrange: the rejection decided the gate through the store, and nothing else happened
    await h.flagger('rollback', payload('Progressing', 'rev-1'));
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const at = new Date().toISOString();
    await h.bot.deps.store.decideGate(
      { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 },
      { status: 'rejected', rejection: { by: 'U0APPROVER2', at, reason: 'p95 doubled' } },
      at,
    );
    const stuck = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    // Act: Flagger's next check calls the gate, then the check after calls rollback
    const gate = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const rollback = await h.flagger('rollback', payload('Progressing', 'rev-1'));

    // Assert
    expect(stuck.status).toBe(403);
    expect(gate).toEqual({ status: 403, text: expect.stringContaining('rejected by U0APPROVER2: p95 doubled') });
    expect(rollback.status).toBe(200);
    expect(rollback.text).toContain('requested by U0APPROVER2 (rejected: p95 doubled)');
    const audit = await h.bot.deps.store.listAudit(SERVICE, 50);
    expect(audit.some((a) => a.action === 'rollback' && a.outcome === 'accepted')).toBe(true);
  });
});
