import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { HookCall, HookType, Phase } from '../../shared/domain/flagger';
import type { ServicePolicy } from '../../shared/domain/policy';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import type { RunbookCluster } from '../../shared/ports/cluster';
import type { Job } from '../../shared/ports/queue';
import { replyFor } from '../../shared/slack/replies';
import { currentRun } from '../../shared/usecases/current-run';
import { handleHook } from '../../shared/usecases/flagger-hook';
import { learnAnalysis } from '../../shared/usecases/learn-analysis';
import { aPolicy } from '../../testkit/builders';
import { FakeCluster } from '../support/fake-cluster';

/**
 * The strategies of the design document on the Flagger path: a stepWeights canary, blue-green and A/B testing, with
 * the analysis read from the live Canary as the run starts (learnAnalysis) and the config only checked against it.
 */
const SERVICE = 'production/product-service';
const T0 = Date.parse('2025-03-04T10:00:00.000Z');
const manualFrom = (fromWeight: number): Partial<ServicePolicy> => ({
  gates: { ...aPolicy().gates, 'confirm-traffic-increase': { mode: 'manual', fromWeight } },
});

function world(overrides: Partial<ServicePolicy> = {}, canary?: Record<string, unknown>) {
  const policy = aPolicy({ cluster: 'prod', ...overrides });
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, policy]]),
    clusters: { prod: { kubeconfig: 'kubeconfig' } },
    ...sectionDefaults(),
  };
  const cluster = new FakeCluster();
  if (canary) cluster.objects.set(`Canary/${SERVICE}`, canary);
  const store = new MemoryStore();
  const jobs: Job[] = [];
  const queue = { send: async (job: Job) => void jobs.push(job) };
  const deps = { config, store, queue, now: () => new Date(T0) };
  const clusters = new Map<string, RunbookCluster>([['prod', cluster]]);
  const events = (): ReleaseEvent[] => jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : []));
  const call = async (hook: HookType, metadata: Record<string, string> = {}, phase: Phase = 'Progressing') => {
    const hookCall: HookCall = { hook, service: SERVICE, phase, checksum: 'c1', metadata, receivedAt: new Date(T0) };
    return flaggerAnswer(await handleHook(deps, hookCall));
  };
  const event = (message: string) => call('event', { eventMessage: message, eventType: 'Normal' });
  /** The worker's job for release #1's run-started event. */
  const learn = () => learnAnalysis({ ...deps, clusters }, SERVICE, 1);
  /** Flagger's first call of a release, then that job. */
  const start = async () => {
    await call('confirm-rollout', {}, 'Progressing');
    await learn();
  };
  const approvePending = async () => {
    for (const gate of (await store.listGates(SERVICE, 1)).filter((g) => g.status === 'pending')) {
      await store.addApproval(gate, 'U0ALICE', new Date(T0).toISOString());
      await store.decideGate(gate, { status: 'approved' }, new Date(T0).toISOString());
    }
  };
  return { store, cluster, events, call, event, learn, start, approvePending };
}

const canaryWith = (analysis: Record<string, unknown>) => ({ spec: { analysis: { interval: '10s', ...analysis } } });

describe('Use case: learnAnalysis', () => {
  it('records the live Canary’s analysis on the run and tells what the config says otherwise', async () => {
    const w = world({ analysis: { stepWeight: 10, maxWeight: 50 } }, canaryWith({ stepWeights: [5, 10, 25, 50] }));

    await w.start();

    expect((await currentRun(w.store, SERVICE))?.analysis).toEqual({ stepWeights: [5, 10, 25, 50], interval: '10s' });
    const told = w.events().filter((e) => e.type === 'analysis-read');
    expect(told).toEqual([
      {
        type: 'analysis-read',
        service: SERVICE,
        run: 1,
        strategy: 'canary',
        shape: 'stepWeights [5, 10, 25, 50]',
        drift: ['stepWeight: the config says 10, the Canary unset', 'maxWeight: the config says 50, the Canary unset'],
        problems: [
          'strategy: canary (stepWeights [5, 10, 25, 50]) steps through 5, 10, 25, 50; fromWeight 30 is not one of them (set gates.confirm-traffic-increase.fromWeight to one of these weights)',
          expect.stringMatching(/^confirm-traffic-increase webhook: none on the Canary/),
          expect.stringMatching(/^confirm-promotion webhook: none on the Canary/),
          expect.stringMatching(/^rollback webhook: none on the Canary \(add \{type: rollback/),
        ],
      },
    ]);
    expect(replyFor(told[0] as ReleaseEvent)?.text.split('\n')).toEqual([
      ":warning: The config's analysis for production/product-service disagrees with the live Canary " +
        '(stepWeight: the config says 10, the Canary unset; maxWeight: the config says 50, the Canary unset). ' +
        'This release follows the Canary: canary, stepWeights [5, 10, 25, 50].',
      expect.stringMatching(/^:x: strategy: canary/),
      expect.stringMatching(/^:x: confirm-traffic-increase webhook/),
      expect.stringMatching(/^:x: confirm-promotion webhook/),
      expect.stringMatching(/^:x: rollback webhook: none on the Canary/),
    ]);
  });

  it('records once per run: a redelivered job keeps the first analysis, and a Canary edit waits for the next release', async () => {
    const w = world({ analysis: {} }, canaryWith({ iterations: 3 }));
    await w.start();
    w.cluster.objects.set(`Canary/${SERVICE}`, canaryWith({ iterations: 10 }));

    await w.learn();

    expect((await currentRun(w.store, SERVICE))?.analysis).toEqual({ iterations: 3, interval: '10s' });
    const told = w.events().filter((e) => e.type === 'analysis-read');
    expect(told).toHaveLength(2);
    expect(told.map((e) => e.type === 'analysis-read' && e.shape)).toEqual(['iterations 3', 'iterations 3']);
  });

  it('says nothing in the thread when the Canary agrees with the config and has every hook the config relies on', async () => {
    const webhooks = ['confirm-traffic-increase', 'confirm-promotion', 'rollback', 'event', 'post-rollout'].map(
      (type) => ({ name: type, type, url: `https://bot.example.com/flagger/${type}`, metadata: { token: 't' } }),
    );
    const w = world({ analysis: { stepWeight: 10 } }, canaryWith({ stepWeight: 10, maxWeight: 50, webhooks }));

    await w.start();

    const told = w.events().find((e) => e.type === 'analysis-read');
    expect(told).toMatchObject({ drift: [], problems: [], shape: 'stepWeight 10, maxWeight 50' });
    expect(replyFor(told as ReleaseEvent)).toBeUndefined();
  });

  it('leaves the config’s analysis in force when the Canary cannot be read, and says so', async () => {
    const w = world({ analysis: {} });

    await w.start();

    expect((await currentRun(w.store, SERVICE))?.analysis).toBeUndefined();
    const told = w.events().find((e) => e.type === 'analysis-unread');
    expect(told).toMatchObject({ error: 'Canary product-service not found', fallback: 'stepWeight 10, maxWeight 50' });
    expect(replyFor(told as ReleaseEvent)?.text).toBe(
      ":warning: Could not read the Canary to learn its analysis (Canary product-service not found). This release follows the config's: stepWeight 10, maxWeight 50.",
    );
  });

  it('reads nothing for a service without a cluster', async () => {
    const w = world({ cluster: undefined }, canaryWith({ iterations: 3 }));

    await w.start();

    expect(w.cluster.calls).toEqual([]);
    expect(w.events().map((e) => e.type)).toEqual(['run-started']);
  });
});

describe('Use case: handleHook (a stepWeights canary read from the Canary)', () => {
  it('holds at 10% for the manual step to 25%, then asks for 50%, as Flagger steps 5, 10, 25, 50', async () => {
    // The config states no analysis: only the live Canary knows the list.
    const w = world({ ...manualFrom(25), analysis: {} }, canaryWith({ stepWeights: [5, 10, 25, 50] }));
    await w.start();

    const to5 = await w.call('confirm-traffic-increase');
    await w.event('Advance product-service.production canary weight 5');
    const to10 = await w.call('confirm-traffic-increase');
    await w.event('Advance product-service.production canary weight 10');
    const held = await w.call('confirm-traffic-increase');
    const heldAgain = await w.call('confirm-traffic-increase');
    await w.approvePending();
    const to25 = await w.call('confirm-traffic-increase');
    await w.event('Advance product-service.production canary weight 25');
    const at25 = await w.call('confirm-traffic-increase');

    expect([to5.status, to10.status]).toEqual([200, 200]);
    expect([held.status, heldAgain.status]).toEqual([403, 403]);
    expect(held.message).toContain('waiting for approval to shift 25% of traffic');
    expect(to25.status).toBe(200);
    expect(at25).toMatchObject({ status: 403, message: expect.stringContaining('shift 50% of traffic') });
    expect((await w.store.listGates(SERVICE, 1)).map((g) => g.key).sort()).toEqual([
      'confirm-traffic-increase@25',
      'confirm-traffic-increase@50',
    ]);
  });
});

describe('Use case: handleHook (blue-green and A/B testing)', () => {
  it.each([
    { name: 'blue-green', analysis: { iterations: 3, stepWeightPromotion: 100 } },
    { name: 'A/B testing', analysis: { iterations: 3, match: [{ headers: { 'x-user-type': { exact: 'beta' } } }] } },
  ])('counts the iterations Flagger announces and gates the promotion ($name)', async ({ analysis }) => {
    const w = world({ analysis: {} }, canaryWith(analysis));
    await w.start();

    for (const i of [1, 2, 3]) await w.event(`Advance product-service.production canary iteration ${i}/3`);
    const promotion = await w.call('confirm-promotion');

    expect((await currentRun(w.store, SERVICE))?.iteration).toEqual({ done: 3, of: 3 });
    expect(promotion).toMatchObject({ status: 403, message: expect.stringContaining('promote the canary') });
  });
});
