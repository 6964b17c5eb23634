import type { Routes } from '../../e2e/harness/scenario';
import { IMAGE_V2, NAME, SERVICE, useScenario } from './scenario-setup';

/**
 * Scenario 4 against the real Flagger: `/canary pause` in the middle of the traffic walk makes Flagger hold the
 * canary's weight (confirm-traffic-increase refused at every check), and `/canary resume` lets it walk on to
 * Succeeded. Every gate is automatic here, so nothing else stops the walk.
 */

describe('End to end: pausing a canary in Slack holds its traffic weight', () => {
  const scenario = useScenario({ confirmPromotion: 'auto' });

  it('holds the VirtualService weight across at least three checks while paused, and resumes to Succeeded', async () => {
    const s = scenario();
    await s.deploy(IMAGE_V2);
    await s.waitForPhase('Progressing', 60_000);
    await s.waitFor('the canary weight to reach 20', async () => ((await s.routes()).canary >= 20 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    // Act: pause mid-walk
    const from = s.hooks.calls.length;
    const paused = await s.h.command(`pause ${SERVICE} load test running`, 'U0APPROVER1');
    expect(paused.status).toBe(200);
    expect(JSON.parse(paused.text).text).toBe(
      `Paused: ${SERVICE} holds its traffic weight until \`/canary resume ${SERVICE}\`.`,
    );

    // Assess: from the first refused step on, the weight does not move for three more checks.
    const isRefusedStep = (c: { hook: string; status: number }) =>
      c.hook === 'confirm-traffic-increase' && c.status === 403;
    const [firstRefusal] = await s.waitForHooks('confirm-traffic-increase', 1, from, (c) => c.status === 403, 30_000);
    expect(firstRefusal?.answer.trim()).toBe(
      `${SERVICE} is paused by U0APPROVER1 (load test running); /canary resume ${SERVICE} to continue`,
    );
    const held: Routes = await s.routes();
    expect(held.canary).toBeGreaterThanOrEqual(20);
    expect(held.canary).toBeLessThan(50);
    expect(held.primary).toBe(100 - held.canary);
    const holdFrom = s.hooks.calls.length;
    const samples: number[] = [];
    await s.holdWhile(
      'the weight holds while paused',
      async () => {
        const [routes, status] = await Promise.all([s.routes(), s.status()]);
        samples.push(routes.canary);
        if (status.phase !== 'Progressing') return `phase ${status.phase} while paused`;
        if (routes.canary !== held.canary || routes.primary !== held.primary)
          return `the weight moved from ${JSON.stringify(held)} to ${JSON.stringify(routes)}`;
        if (status.canaryWeight !== held.canary) return `status.canaryWeight ${status.canaryWeight}`;
        return undefined;
      },
      async () => (s.hooks.calls.slice(holdFrom).filter(isRefusedStep).length >= 3 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const duringPause = s.hooks.calls.slice(from);
    const pauseSpan = (duringPause.at(-1)?.at ?? 0) - (firstRefusal?.at ?? 0);
    expect(pauseSpan).toBeGreaterThanOrEqual(29_000);
    expect(samples.length).toBeGreaterThanOrEqual(20);
    // From the first refusal on, every traffic step was refused.
    const steps = s.hooks.calls
      .slice(s.hooks.calls.indexOf(firstRefusal as (typeof s.hooks.calls)[number]))
      .filter((c) => c.hook === 'confirm-traffic-increase');
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.every((c) => c.status === 403)).toBe(true);
    expect(s.hooks.of('confirm-promotion')).toHaveLength(0);
    // Metrics and rollback checks go on while paused.
    expect(s.hooks.calls.slice(holdFrom).filter((c) => c.hook === 'rollback').length).toBeGreaterThanOrEqual(3);
    expect(s.env.traffic.currentWeights()?.canary).toBe(held.canary);
    const pausedThread = await s.waitForThread(1, 'paused', (t) => t.replies.some((r) => r.includes('paused')));
    expect(pausedThread.replies).toContain(
      `:double_vertical_bar: <@U0APPROVER1> paused ${SERVICE} (load test running): the canary holds its weight until someone resumes it.`,
    );

    // Act: resume
    const resumeFrom = s.hooks.calls.length;
    const resumed = await s.h.command(`resume ${SERVICE}`, 'U0APPROVER1');
    expect(JSON.parse(resumed.text).text).toBe(`Resumed ${SERVICE}.`);

    // Assess: the next check steps up again, and the walk ends in a promotion.
    const [step] = await s.waitForHooks('confirm-traffic-increase', 1, resumeFrom, () => true, 30_000);
    expect(step?.status).toBe(200);
    await s.waitFor(
      'the weight to move past the held one',
      async () => ((await s.routes()).canary > held.canary ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await s.waitForPhase('Succeeded', 180_000);
    expect(await s.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    await s.waitFor('the post-rollout hook', async () => s.hooks.of('post-rollout').at(-1));
    expect(s.hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });
    expect(s.hooks.calls.slice(resumeFrom).every((c) => c.status !== 403 || c.hook === 'rollback')).toBe(true);

    const thread = await s.waitForThread(1, 'succeeded', (t) =>
      t.status.includes(': Succeeded, 100% on the promoted primary'),
    );
    expect(thread.replies).toEqual([
      `:double_vertical_bar: <@U0APPROVER1> paused ${SERVICE} (load test running): the canary holds its weight until someone resumes it.`,
      `:arrow_forward: <@U0APPROVER1> resumed ${SERVICE}.`,
      ':tada: Promoted: the primary now runs the new revision.',
    ]);
    console.log(
      `pause: held canary weight ${held.canary} for ${(pauseSpan / 1000).toFixed(0)} s ` +
        `(${s.hooks.calls.slice(from, resumeFrom).filter(isRefusedStep).length} refused steps); phases ${s.phases.join(' -> ')}`,
    );
  }, 480_000);
});
