import { buttonOf } from '../../e2e/harness/scenario';
import { ACTIONS } from '../../shared/slack/blocks';
import { IMAGE_V2, IMAGE_V3, NAME, SERVICE, useScenario } from './scenario-setup';

/**
 * Scenarios 5 and 6 against the real Flagger, on one harness (the second needs a finished release #1, which the
 * first one produces; the tests run in order):
 * 5. the bot restarts while release #1 waits at confirm-promotion: the request posted before the restart still
 *    works afterwards, and the release completes;
 * 6. release #2 (a new image): its promotion gate stays closed to release #1's old Approve button, and opens on
 *    an approval of its own request.
 */

describe('End to end: approvals survive a restart of the bot and never open the next release', () => {
  const scenario = useScenario();
  /** release #1's Approve button, clicked in the first test and again (stale) in the second */
  let release1Approve = '';

  it('keeps a pending approval request across a restart: the button posted before it promotes release #1 after it', async () => {
    const s = scenario();
    await s.deploy(IMAGE_V2);
    await s.waitForPhase('Progressing', 60_000);
    await s.waitForPhase('WaitingPromotion', 180_000);
    const request = await s.waitForRequest('Promote the canary to primary for production/product-service release #1');
    release1Approve = buttonOf(request, ACTIONS.approve);
    const status = async () => JSON.parse((await s.h.command(`status ${SERVICE}`, 'U0ANYONE01')).text).text as string;

    // Restart right after one of Flagger's checks, so that no webhook meets a bot that is down.
    const checks = s.hooks.of('confirm-promotion').length;
    await s.waitFor('a confirm-promotion check', async () =>
      s.hooks.of('confirm-promotion').length > checks ? true : undefined,
    );
    const before = await status();
    const restartFrom = s.hooks.calls.length;
    const restartStarted = Date.now();
    await s.h.restart();
    const restartMs = Date.now() - restartStarted;

    // The restarted bot (new process state, same data folder) knows the release, its gate and its thread.
    const [after] = await s.waitForHooks('confirm-promotion', 1, restartFrom, () => true, 20_000);
    expect(after).toMatchObject({ status: 403 });
    expect(after?.answer.trim()).toBe(
      `waiting for approval to promote the canary to primary for ${SERVICE} release #1: 0/1 approvals from U0APPROVER1`,
    );
    expect(await status()).toBe(before);
    expect(before).toBe(
      `*${SERVICE} release #1*: WaitingPromotion, canary weight 50%\n• confirm-promotion: pending (0/1)`,
    );
    expect(s.hooks.calls.filter((c) => c.status >= 500)).toEqual([]);
    expect(s.threads()).toHaveLength(1);
    expect(s.requests()).toHaveLength(1);
    expect((await s.status()).phase).toBe('WaitingPromotion');

    // Act: the same Approve button, clicked after the restart
    const click = await s.h.click(ACTIONS.approve, release1Approve, 'U0APPROVER1');
    expect(click.status).toBe(200);
    expect(s.toldTo('U0APPROVER1').at(-1)).toBe(
      `Approved: Flagger may now promote the canary to primary for ${SERVICE} release #1 at its next check.`,
    );

    // Assess: promoted at the next check, and the same thread (status edited in place) says so.
    await s.waitForPhase('Succeeded', 120_000);
    expect(await s.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    expect(s.hooks.of('confirm-promotion').at(-1)).toMatchObject({ status: 200 });
    expect(s.hooks.of('confirm-promotion').at(-1)?.answer.trim()).toBe(
      `approved by U0APPROVER1: promote the canary to primary for ${SERVICE} release #1`,
    );
    await s.waitFor('the post-rollout hook', async () => s.hooks.of('post-rollout').at(-1));
    expect(s.hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });
    const thread = await s.waitForThread(1, 'succeeded', (t) =>
      t.status.includes(': Succeeded, 100% on the promoted primary'),
    );
    expect(s.threads()).toHaveLength(1);
    expect(thread.replies).toEqual([
      expect.stringContaining(`Promote the canary to primary for ${SERVICE} release #1: Waiting for approval: 0/1`),
      ':white_check_mark: <@U0APPROVER1> approved: promote the canary to primary.',
      ':tada: Promoted: the primary now runs the new revision.',
    ]);
    console.log(`restart: the bot restarted in ${restartMs} ms; phases ${s.phases.join(' -> ')}`);
  }, 400_000);

  it("keeps release #2's promotion gate closed to release #1's Approve button, and opens it on a new approval", async () => {
    const s = scenario();
    // Release #1 ended (the test above).
    expect(s.threadText(1).status).toContain(': Succeeded, 100% on the promoted primary');
    await s.deploy(IMAGE_V3);
    await s.waitForPhase('Progressing', 60_000);
    await s.waitForPhase('WaitingPromotion', 180_000);
    const request = await s.waitForRequest('Promote the canary to primary for production/product-service release #2');
    expect(buttonOf(request, ACTIONS.approve)).not.toBe(release1Approve);

    // Act: release #1's old button
    const stale = await s.h.click(ACTIONS.approve, release1Approve, 'U0APPROVER1');

    // Assess: refused, with the reason; the gate stays closed for two more checks, the primary keeps v2.
    expect(stale.status).toBe(200);
    expect(s.toldTo('U0APPROVER1').at(-1)).toBe(
      `:no_entry_sign: That request belongs to release #1; ${SERVICE} release #2 is the current one.`,
    );
    const from = s.hooks.calls.length;
    const refused = () =>
      s.hooks.calls.slice(from).filter((c) => c.hook === 'confirm-promotion' && c.status === 403).length;
    await s.holdWhile(
      'release #2 waits at confirm-promotion',
      async () => {
        const { phase } = await s.status();
        if (phase !== 'WaitingPromotion') return `left WaitingPromotion: ${phase}`;
        const primary = await s.image(`${NAME}-primary`);
        return primary === IMAGE_V2 ? undefined : `the primary runs ${primary}`;
      },
      async () => (refused() >= 2 ? true : undefined),
      { timeoutMs: 40_000 },
    );
    const waiting = s.hooks.calls.slice(from).filter((c) => c.hook === 'confirm-promotion');
    expect(waiting.every((c) => c.status === 403)).toBe(true);
    expect(waiting.at(-1)?.answer.trim()).toBe(
      `waiting for approval to promote the canary to primary for ${SERVICE} release #2: 0/1 approvals from U0APPROVER1`,
    );
    await s.h.bot.queue.drain();
    const request2 = s.thread(2)?.replies[0];
    expect(String((request2?.updates.at(-1) ?? request2?.post)?.args.text)).toContain(
      'release #2: Waiting for approval: 0/1',
    );

    // Act: approve release #2's own request
    const click = await s.h.click(ACTIONS.approve, buttonOf(request, ACTIONS.approve), 'U0APPROVER1');
    expect(click.status).toBe(200);
    expect(s.toldTo('U0APPROVER1').at(-1)).toBe(
      `Approved: Flagger may now promote the canary to primary for ${SERVICE} release #2 at its next check.`,
    );

    await s.waitForPhase('Succeeded', 120_000);
    expect(await s.image(`${NAME}-primary`)).toBe(IMAGE_V3);
    expect(s.hooks.of('confirm-promotion').at(-1)?.answer.trim()).toBe(
      `approved by U0APPROVER1: promote the canary to primary for ${SERVICE} release #2`,
    );
    // Each release has its own thread.
    const thread = await s.waitForThread(2, 'succeeded', (t) =>
      t.status.includes(': Succeeded, 100% on the promoted primary'),
    );
    expect(s.threads()).toHaveLength(2);
    expect(thread.replies).toEqual([
      expect.stringContaining(`Promote the canary to primary for ${SERVICE} release #2`),
      ':white_check_mark: <@U0APPROVER1> approved: promote the canary to primary.',
      ':tada: Promoted: the primary now runs the new revision.',
    ]);
    expect(s.threadText(1).replies).toHaveLength(3);
    console.log(`isolation: phases ${s.phases.join(' -> ')}\nwebhooks:\n${s.hooks.summary(30)}`);
  }, 400_000);
});
