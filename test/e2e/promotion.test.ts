import { type Environment, startEnvironment, waitFor } from '../../e2e/harness';
import { HookRecorder } from '../../e2e/harness/hook-recorder';
import * as manifests from '../../e2e/harness/manifests';
import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, FLAGGER_TOKEN, type Harness, startHarness } from '../../testkit/bot';
import type { SlackCall } from '../../testkit/fake-slack';

/**
 * Scenario 1 against the real counterparts: Flagger v1.44 drives a canary release of production/product-service
 * on a real kube-apiserver, asks the bot at each webhook, and waits at confirm-promotion until an approver clicks
 * Approve in (fake) Slack. Run with: bash e2e/build.sh && npx jest -c e2e/jest.config.js
 */
const NS = 'production';
const NAME = 'product-service';
const STEP_WEIGHT = 10;
const MAX_WEIGHT = 50;
const IMAGE_V1 = 'registry.example.com/acme/product-service:1.0.0';
const IMAGE_V2 = 'registry.example.com/acme/product-service:1.1.0';

const CONFIG = `
services:
  ${NS}/${NAME}:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1] }
    gates:
      confirm-rollout: auto
      confirm-traffic-increase: auto
      confirm-promotion: manual
    analysis: { stepWeight: ${STEP_WEIGHT}, maxWeight: ${MAX_WEIGHT} }
`;

interface CanaryStatus {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
}

interface Deployment {
  spec: { template: { spec: { containers: { image: string }[] } } };
}

describe('End to end: Flagger, kube-apiserver and Prometheus on loopback, approvals in Slack', () => {
  let env: Environment | undefined;
  let h: Harness | undefined;
  const phases: string[] = [];
  let watcher: NodeJS.Timeout | undefined;
  let last: CanaryStatus = {};
  // Flagger -> recorder -> bot: every webhook call and the bot's answer, for assertions and diagnosis.
  const hooks = new HookRecorder(() => {
    if (!h) throw new Error('bot not started');
    return h.bot.url;
  });

  const admin = () => {
    if (!env) throw new Error('environment not started');
    return env.cluster.admin;
  };
  const canaryPath = `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/${NAME}`;
  const canaryStatus = async (): Promise<CanaryStatus> => {
    last = (await admin().get<{ status?: CanaryStatus }>(canaryPath)).status ?? {};
    const phase = last.phase ?? '(none)';
    if (phases.at(-1) !== phase) phases.push(phase);
    return last;
  };
  const diagnosis = () =>
    `canary status ${JSON.stringify(last)}; phases ${phases.join(' -> ')}\n` +
    `webhooks:\n${hooks.summary()}\nslack: ${h?.slack.texts().slice(-6).join(' | ')}\n${env?.logs(20) ?? ''}`;
  const waitForPhase = (phase: string, timeoutMs: number) =>
    waitFor(`Canary phase ${phase}`, async () => ((await canaryStatus()).phase === phase ? true : undefined), {
      timeoutMs,
      intervalMs: 500,
      describe: diagnosis,
    });
  const image = async (name: string) =>
    (await admin().get<Deployment>(`/apis/apps/v1/namespaces/${NS}/deployments/${name}`)).spec.template.spec
      .containers[0]?.image;
  /** The last value Flagger measured for a metric check, from its own /metrics. */
  const flaggerGauge = async (metric: string) => {
    const text = await (await fetch(env?.flagger.metricsUrl ?? '')).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('flagger_canary_metric_analysis{') && l.includes(`metric="${metric}"`));
    return line ? Number(line.split(' ').at(-1)) : undefined;
  };
  const rootStatus = (calls: SlackCall[]) => {
    const root = h?.slack.called('chat.postMessage').find((p) => !p.args.thread_ts);
    return calls.filter((u) => u.args.ts === root?.result.ts);
  };

  beforeAll(async () => {
    env = await startEnvironment({ namespace: NS, service: NAME, interval: '10s' });
    h = await startHarness(CONFIG);
    const botUrl = await hooks.start();
    // Record every phase Flagger goes through, between the test's own polls too.
    watcher = setInterval(() => void canaryStatus().catch(() => undefined), 1000);

    await admin().apply(manifests.namespace(NS));
    await admin().apply(manifests.deployment(NS, NAME, IMAGE_V1));
    await admin().apply(
      manifests.canary({
        namespace: NS,
        name: NAME,
        botUrl,
        token: FLAGGER_TOKEN,
        interval: '10s',
        threshold: 5,
        stepWeight: STEP_WEIGHT,
        maxWeight: MAX_WEIGHT,
      }),
    );
    // Flagger creates product-service-primary, waits for it to be ready, scales the target to 0.
    await waitForPhase('Initialized', 120_000);
  }, 300_000);

  afterAll(async () => {
    clearInterval(watcher);
    // Flagger first, so that it calls no webhook of a bot that is gone.
    await env?.stop();
    await hooks.stop();
    await h?.stop();
  });

  it('promotes v2 only after an approver clicks Approve, and the thread ends with succeeded', async () => {
    const slack = h?.slack;
    if (!h || !slack) throw new Error('bot not started');
    expect(await image(`${NAME}-primary`)).toBe(IMAGE_V1);

    // Act: a new revision
    await admin().apply(manifests.deployment(NS, NAME, IMAGE_V2));

    // Assess: Flagger walks the weights with the bot's consent, then stops at confirm-promotion
    await waitForPhase('Progressing', 60_000);
    await waitForPhase('WaitingPromotion', 180_000);
    const request = await waitFor(
      'the approval request in Slack',
      async () =>
        slack
          .called('chat.postMessage')
          .find((p) => String(p.args.text).includes('Promote the canary to primary') && p.args.thread_ts),
      { timeoutMs: 30_000, describe: diagnosis },
    );
    const buttons = (request.args.blocks as { elements?: { action_id?: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .map((e) => e.action_id);
    expect(buttons).toEqual(expect.arrayContaining([ACTIONS.approve, ACTIONS.reject, ACTIONS.rollback]));

    // Until someone approves, each check is refused: Flagger stays in WaitingPromotion and the primary keeps v1.
    const refused = () => hooks.of('confirm-promotion').filter((c) => c.status === 403);
    const before = refused().length;
    await waitFor(
      'two more refused promotion checks',
      async () => {
        const { phase } = await canaryStatus();
        if (phase !== 'WaitingPromotion') throw new Error(`left WaitingPromotion without approval: ${phase}`);
        expect(await image(`${NAME}-primary`)).toBe(IMAGE_V1);
        return refused().length >= before + 2 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, describe: diagnosis },
    );
    expect((await canaryStatus()).phase).toBe('WaitingPromotion');
    expect(refused()[0]?.answer).toContain('waiting for approval to promote the canary to primary');
    expect(hooks.of('confirm-promotion').every((c) => c.status === 403)).toBe(true);
    // Flagger's own checks ran on the simulator's numbers through Prometheus (it keeps checking while it waits).
    expect(await flaggerGauge('request-success-rate')).toBe(100);
    // p99 of ~40 ms responses, which Flagger exports in seconds
    expect(await flaggerGauge('request-duration')).toBeGreaterThan(0.02);
    expect(await flaggerGauge('request-duration')).toBeLessThan(0.1);
    expect(last.failedChecks ?? 0).toBe(0);

    // Act: the approver clicks Approve
    const click = await h.click(ACTIONS.approve, buttonValue(slack, ACTIONS.approve), 'U0APPROVER1');
    expect(click.status).toBe(200);

    // Assess: Flagger promotes at its next check, and finishes
    await waitForPhase('Succeeded', 120_000);
    expect(await image(`${NAME}-primary`)).toBe(IMAGE_V2);
    expect(hooks.of('confirm-promotion').at(-1)).toMatchObject({ status: 200 });
    expect(hooks.of('confirm-promotion').at(-1)?.answer).toContain('approved by U0APPROVER1');
    // Flagger sets Succeeded, then calls post-rollout.
    await waitFor('the post-rollout hook', async () => hooks.of('post-rollout').at(-1), { describe: diagnosis });
    expect(hooks.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });
    const order = ['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising', 'Succeeded'];
    expect(phases.filter((p) => order.includes(p)).slice(-order.length)).toEqual(order);

    // The thread: its status message ends as Succeeded with all traffic on the primary, and a reply announces the promotion.
    await waitFor(
      'the thread to say succeeded',
      async () => {
        await h?.bot.queue.drain();
        const text = String(rootStatus(slack.called('chat.update')).at(-1)?.args.text ?? '');
        return text.includes('Succeeded, 100% on the promoted primary') ? text : undefined;
      },
      { timeoutMs: 30_000, describe: diagnosis },
    );
    const replies = slack
      .called('chat.postMessage')
      .filter((p) => p.args.thread_ts)
      .map((p) => String(p.args.text));
    expect(replies).toEqual(
      expect.arrayContaining([
        expect.stringContaining('<@U0APPROVER1> approved: promote the canary to primary'),
        expect.stringContaining('Promoted: the primary now runs the new revision'),
      ]),
    );
    console.log(
      `e2e timings (s): ${JSON.stringify(env?.timings)}; phases: ${phases.join(' -> ')}; ` +
        `status writes by the keeper: ${env?.keeper.writes}\nwebhooks:\n${hooks.summary(60)}\n` +
        `slack thread:\n${slack.texts().join('\n')}`,
    );
  }, 480_000);
});
