import { buttonOf } from '../../e2e/harness/scenario';
import { ACTIONS } from '../../shared/slack/blocks';
import { IMAGE_V2, NAME, useScenario } from './scenario-setup';

/**
 * Scenario 3 against the real Flagger: a manual confirm-rollout keeps a new revision `Waiting` (no traffic, the
 * canary not even scaled up) until someone approves the start in Slack; then the analysis runs to Succeeded with
 * automatic traffic steps and promotion.
 */

describe('End to end: a manual confirm-rollout holds a new revision until approved', () => {
  const scenario = useScenario({ confirmRollout: 'manual', confirmPromotion: 'auto' });

  it('keeps the canary Waiting with no traffic across several checks, then progresses to Succeeded once the start is approved', async () => {
    const s = scenario();
    await s.deploy(IMAGE_V2);

    // Flagger sees the revision, asks confirm-rollout, is refused, and waits.
    await s.waitForPhase('Waiting', 60_000);
    const request = await s.waitForRequest('Start the canary analysis for production/product-service release #1');
    const refused = () => s.hooks.of('confirm-rollout').filter((c) => c.status === 403);
    const firstRefusal = s.hooks.calls.indexOf(refused()[0] as (typeof s.hooks.calls)[number]);
    expect(refused()[0]?.answer).toContain(
      'waiting for approval to start the canary analysis for production/product-service release #1: 0/1 approvals from U0APPROVER1',
    );

    // Across at least three more checks (30 s at a 10 s interval): still Waiting, no traffic, canary at 0 replicas.
    await s.holdWhile(
      'the canary stays Waiting without traffic until approved',
      async () => {
        const { phase } = await s.status();
        if (phase !== 'Waiting') return `left Waiting without approval: ${phase}`;
        const routes = await s.routes();
        if (routes.canary !== 0 || routes.primary !== 100) return `traffic moved: ${JSON.stringify(routes)}`;
        const replicas = await s.replicas(NAME);
        return replicas === 0 ? undefined : `the canary was scaled to ${replicas} replicas`;
      },
      async () => (refused().length >= 4 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const waiting = s.hooks.calls.slice(firstRefusal);
    // Flagger only asked confirm-rollout (and reported events) while waiting: no analysis, no traffic step.
    expect([...new Set(waiting.map((c) => c.hook))].sort()).toEqual(['confirm-rollout', 'event']);
    // The first call carries the phase before the revision (Initialized), the later ones Waiting.
    const asked = waiting.filter((c) => c.hook === 'confirm-rollout').map((c) => c.phase);
    expect(asked).toEqual(['Initialized', ...asked.slice(1).map(() => 'Waiting')]);
    expect((waiting.at(-1)?.at ?? 0) - (waiting[0]?.at ?? 0)).toBeGreaterThanOrEqual(29_000);
    expect(s.hooks.events()).toContain(
      'Halt product-service.production advancement waiting for approval release-bot-confirm-rollout',
    );

    // Act: approve the start
    const from = s.hooks.calls.length;
    const click = await s.h.click(ACTIONS.approve, buttonOf(request, ACTIONS.approve), 'U0APPROVER1');
    expect(click.status).toBe(200);
    expect(s.toldTo('U0APPROVER1').at(-1)).toBe(
      'Approved: Flagger may now start the canary analysis for production/product-service release #1 at its next check.',
    );

    // Assess: the next confirm-rollout passes, Flagger scales the canary up and shifts traffic.
    await s.waitForPhase('Progressing', 30_000);
    const [opened] = await s.waitForHooks('confirm-rollout', 1, from);
    expect(opened).toMatchObject({ status: 200, phase: 'Waiting' });
    expect(opened?.answer.trim()).toBe(
      'approved by U0APPROVER1: start the canary analysis for production/product-service release #1',
    );
    expect(await s.replicas(NAME)).toBe(2);
    const moved = await s.waitFor('traffic to the canary', async () => {
      const routes = await s.routes();
      return routes.canary > 0 ? routes : undefined;
    });
    expect(moved).toEqual({ primary: 90, canary: 10 });

    await s.waitForPhase('Succeeded', 180_000);
    expect(await s.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    await s.waitFor('the post-rollout hook', async () => s.hooks.of('post-rollout').at(-1));
    expect(s.hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });
    expect(s.hooks.of('confirm-promotion').at(-1)).toMatchObject({ status: 200 });
    const order = ['Waiting', 'Progressing', 'Promoting', 'Finalising', 'Succeeded'];
    expect(s.phases.filter((p) => order.includes(p))).toEqual(order);

    // One release, one thread: the Progressing hooks (new checksum) continued release #1, they did not start #2.
    expect(
      s.hooks.calls.filter((c) => /release #\d/.test(c.answer)).every((c) => c.answer.includes('release #1')),
    ).toBe(true);
    const thread = await s.waitForThread(1, 'succeeded', (t) =>
      t.status.includes(': Succeeded, 100% on the promoted primary'),
    );
    expect(s.threads()).toHaveLength(1);
    expect(thread.replies).toEqual([
      expect.stringContaining('Start the canary analysis for production/product-service release #1'),
      ':white_check_mark: <@U0APPROVER1> approved: start the canary analysis.',
      ':tada: Promoted: the primary now runs the new revision.',
    ]);
    console.log(
      `confirm-rollout: waited ${(((waiting.at(-1)?.at ?? 0) - (waiting[0]?.at ?? 0)) / 1000).toFixed(0)} s ` +
        `(${refused().length} refusals); phases ${s.phases.join(' -> ')}`,
    );
  }, 480_000);
});
