import { buttonOf, buttonsOf } from '../../e2e/harness/scenario';
import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { IMAGE_V1, IMAGE_V2, NAME, useScenario } from './scenario-setup';

/**
 * Scenario 2 against the real Flagger: a release waiting at a manual confirm-promotion is rejected in Slack
 * (Reject button, reason dialog), and Flagger rolls it back at its next check through the rollback webhook,
 * instead of after `threshold` failed checks.
 */
const REASON = 'p95 doubled at 50% traffic';

describe('End to end: a release rejected in Slack is rolled back by Flagger', () => {
  const scenario = useScenario();

  it('rolls back at the next check after a Reject with a reason: Failed, all traffic to the primary, canary scaled to 0, and the thread says failed', async () => {
    const s = scenario();
    await s.deploy(IMAGE_V2);

    // Flagger walks the weights, then waits at confirm-promotion with the request in Slack.
    await s.waitForPhase('Progressing', 60_000);
    await s.waitForPhase('WaitingPromotion', 180_000);
    const request = await s.waitForRequest('Promote the canary to primary for production/product-service release #1');
    expect(await s.routes()).toEqual({ primary: 50, canary: 50 });
    expect(await s.replicas(NAME)).toBe(2);
    // Flagger has called the rollback webhook of this release at each check so far, answered no.
    expect(s.hooks.of('rollback').length).toBeGreaterThan(0);
    expect(s.hooks.of('rollback').every((c) => c.status === 403)).toBe(true);

    // Act: Reject, then the reason dialog
    const click = await s.h.click(ACTIONS.reject, buttonOf(request, ACTIONS.reject), 'U0APPROVER1');
    const opened = s.slack.called('views.open').at(-1);
    const view = opened?.args.view as { callback_id: string; private_metadata: string };
    const from = s.hooks.calls.length;
    const submitted = await s.h.submitView(view.callback_id, view.private_metadata, REASON, 'U0APPROVER1');
    const rejectedAt = Date.now();

    expect(click.status).toBe(200);
    expect(view.callback_id).toBe(REJECT_VIEW);
    expect(submitted.status).toBe(200);

    // Assess: at its next check Flagger asks the rollback webhook, gets yes, and rolls back.
    await s.waitForPhase('Failed', 30_000);
    const failedAfterMs = Date.now() - rejectedAt;
    const rollback = s.hooks.calls.slice(from).find((c) => c.hook === 'rollback');
    expect(rollback).toMatchObject({ status: 200, phase: 'WaitingPromotion' });
    expect(rollback?.answer).toContain(
      `rolling back production/product-service release #1: requested by U0APPROVER1 (rejected: ${REASON})`,
    );
    // One interval (10 s) plus the tick's own work, not threshold (5) x interval.
    expect((rollback?.at ?? Infinity) - rejectedAt).toBeLessThan(15_000);
    expect(s.hooks.events()).toEqual(
      expect.arrayContaining([
        'Rolling back product-service.production manual webhook invoked',
        'Canary failed! Scaling down product-service.production',
      ]),
    );
    expect(s.hooks.events().some((e) => e.includes('failed checks threshold reached'))).toBe(false);

    expect(await s.routes()).toEqual({ primary: 100, canary: 0 });
    expect(await s.replicas(NAME)).toBe(0);
    expect(await s.image(`${NAME}-primary`)).toBe(IMAGE_V1);
    expect(s.hooks.of('confirm-promotion').every((c) => c.status === 403)).toBe(true);
    expect(s.phases).not.toContain('Promoting');
    expect(s.phases.slice(-3)).toEqual(['Progressing', 'WaitingPromotion', 'Failed']);
    await s.waitFor('the post-rollout hook', async () => s.hooks.of('post-rollout').at(-1));
    expect(s.hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Failed', status: 200 });

    // The thread: the status says failed; the rejection with its reason and the end are replies.
    const thread = await s.waitForThread(1, 'failed', (t) => t.status.includes(': Failed, 100% back on the primary'));
    expect(thread.replies).toEqual([
      expect.stringContaining('Promote the canary to primary for production/product-service release #1'),
      `:no_entry: <@U0APPROVER1> rejected: promote the canary to primary. Reason: ${REASON}. Flagger will roll the canary back at its next check.`,
      // The rejection ran the rollback runbook: this service names no cluster, so only the Flagger signal ran.
      'Rollback (production/product-service release #1): running',
      expect.stringMatching(/^:white_check_mark: Rollback finished in \d+ ms: 5 steps skipped\.$/),
      ':red_circle: Failed: Flagger rolled the canary back; the primary is unchanged.',
    ]);
    const requestNow = s.thread(1)?.replies[0]?.updates.at(-1);
    expect(String(requestNow?.args.text)).toContain(`Rejected by <@U0APPROVER1>: ${REASON}`);
    expect(requestNow && buttonsOf(requestNow)).toEqual([]);
    expect(s.toldTo('U0APPROVER1')).toEqual(['Rejected. Flagger will roll the canary back at its next check.']);
    console.log(
      `rejection: Failed ${(failedAfterMs / 1000).toFixed(1)} s after the reason was submitted ` +
        `(rollback hook answered 200 after ${(((rollback?.at ?? 0) - rejectedAt) / 1000).toFixed(1)} s); ` +
        `phases ${s.phases.join(' -> ')}\nwebhooks:\n${s.hooks.summary(20)}`,
    );
  }, 400_000);
});
