import { alertRollbackRun, recorderOf, startAlertScenario } from '../../e2e/harness/alert-scenario';
import { CANARY_ALERT } from '../../e2e/harness/prometheus';
import type { Scenario } from '../../e2e/harness/scenario';
import { threadReadingOf } from '../../e2e/harness/slack-thread';
import { DEFAULT_ROLLBACK_RUNBOOK } from '../../shared/config/runbooks';
import { ALERTMANAGER_TOKEN } from '../../testkit/bot';
import { IMAGE_V1, IMAGE_V2, NAME, NS } from './scenario-setup';

/**
 * Alert-driven rollback against the real Flagger, Prometheus and Alertmanager: half of the canary's answers become
 * 500s, the canary's error-ratio rule fires, Alertmanager posts it to the bot, and the bot's rollback runbook
 * (shipped default) tells Flagger, routes everything to the primary at once, and waits for Flagger to agree.
 * Flagger ends the Canary `Failed` through the rollback webhook at its next check, not after its failed-checks
 * threshold. The bot acts on the harness cluster as `release-bot`, with exactly deploy/rbac.yaml.
 */
describe('End to end: an alert rolls the canary back', () => {
  let scenario: Scenario | undefined;
  const s = () => {
    if (!scenario) throw new Error('scenario not started');
    return scenario;
  };

  beforeAll(async () => {
    scenario = await startAlertScenario(IMAGE_V1);
  }, 300_000);

  afterAll(async () => {
    await scenario?.stop();
  });

  it('relieves traffic within seconds of the fault, and Flagger ends Failed through the rollback hook, never by its threshold', async () => {
    const recorder = recorderOf(s());
    const run = await alertRollbackRun(s(), IMAGE_V2, 1);
    const { post } = run;

    // Alertmanager posted the alert to the bot, with the token, and the bot took it.
    expect(post.path).toBe('/alertmanager');
    expect(post.authorization).toBe(`Bearer ${ALERTMANAGER_TOKEN}`);
    expect(post.payload.version).toBe('4');
    expect(post.payload.alerts[0]?.labels).toMatchObject({
      alertname: CANARY_ALERT,
      severity: 'critical',
      canary: NAME,
      destination_workload_namespace: NS,
    });
    expect(post.status).toBeGreaterThanOrEqual(200);
    expect(post.status).toBeLessThan(300);
    // Relief came from the bot after the alert, not from Flagger's own check: a few seconds after the fault.
    expect(run.weight).toBeGreaterThanOrEqual(20);
    expect(run.relievedAt).toBeGreaterThanOrEqual(post.receivedAt);
    expect(run.relievedAt - run.faultAt).toBeLessThan(5000);
    expect(run.relievedAt).toBeLessThan(run.rollback.receivedAt);

    // Flagger: the rollback webhook said yes at its next check, and it rolled back for that reason alone.
    expect(run.rollback).toMatchObject({ phase: 'Progressing', status: 200 });
    expect(run.rollback.receivedAt - run.faultAt).toBeLessThan(15_000);
    expect(s().hooks.events()).toEqual(
      expect.arrayContaining([
        'Rolling back product-service.production manual webhook invoked',
        'Canary failed! Scaling down product-service.production',
      ]),
    );
    expect(
      s()
        .hooks.events()
        .some((e) => e.includes('failed checks threshold')),
    ).toBe(false);
    expect(s().phases).not.toContain('Promoting');
    expect(await s().routes()).toEqual({ primary: 100, canary: 0 });
    expect(await s().replicas(NAME)).toBe(0);
    expect(await s().image(`${NAME}-primary`)).toBe(IMAGE_V1);
    await s().waitFor('the post-rollout hook', async () => s().hooks.of('post-rollout').at(-1));
    expect(s().hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Failed', status: 200 });

    // The thread: the release failed, the alert is there, and the runbook message lists its steps.
    await s().waitForThread(1, 'failed', (t) => t.status.includes(': Failed, 100% back on the primary'));
    const steps = DEFAULT_ROLLBACK_RUNBOOK.steps.map((step) => step.name);
    const reading = await s().waitFor(
      'the alert and every runbook step in the thread',
      async () => {
        await s().h.bot.queue.drain();
        const replies = threadReadingOf(s().slack, 1);
        const all = replies.join('\n');
        return all.includes(CANARY_ALERT) && steps.every((name) => all.includes(name)) ? replies : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const runbookMessage = reading.find((r) => steps.every((name) => r.includes(name)));
    expect(runbookMessage).toBeDefined();

    // Once all traffic is on the primary the canary serves nothing: the alert resolves, and the bot takes that too.
    const resolved = await s().waitFor(
      'the resolved notification',
      async () => recorder.posts.find((p) => p.payload.status === 'resolved' && p.receivedAt > post.receivedAt),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(resolved.status).toBeLessThan(300);
    await s().waitFor(
      'the resolution in the thread',
      async () => {
        await s().h.bot.queue.drain();
        return threadReadingOf(s().slack, 1).find((r) => r.includes(CANARY_ALERT) && /resolved/i.test(r));
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    console.log(
      `alert rollback at ${run.weight} % canary weight: fault -> Alertmanager's post ${post.receivedAt - run.faultAt} ms; ` +
        `post -> VirtualService 100 % primary ${run.relievedAt - post.receivedAt} ms (fault -> relief ` +
        `${run.relievedAt - run.faultAt} ms); fault -> rollback hook 200 ${run.rollback.at - run.faultAt} ms; ` +
        `fault -> Failed ${run.failedAt - run.faultAt} ms\nphases ${s().phases.join(' -> ')}\n` +
        `alerts:\n${recorder.summary()}\nwebhooks:\n${s().hooks.summary(12)}\nthread:\n${reading.join('\n---\n')}`,
    );
  }, 400_000);
});
