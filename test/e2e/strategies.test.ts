import { RBAC_FILE } from '../../e2e/harness/alert-scenario';
import { readManifests } from '../../e2e/harness/cluster';
import { Fleet, type FleetHandle } from '../../e2e/harness/fleet';
import { hookSequence, hookTicks } from '../../e2e/harness/hook-recorder';
import type { Environment } from '../../e2e/harness/index';
import type { KubeClient, KubeObject } from '../../e2e/harness/kube';
import * as manifests from '../../e2e/harness/manifests';
import type { Routes } from '../../e2e/harness/scenario';
import { buttonOf, buttonsOf, readable } from '../../e2e/harness/scenario';
import { ACTIONS, REJECT_VIEW } from '../../shared/slack/blocks';
import { doctorMessage } from '../../shared/slack/doctor-message';
import { IMAGE_V1, IMAGE_V2, IMAGE_V3, NAME } from './scenario-setup';

/**
 * The design document's three strategies against the real Flagger, side by side in ONE environment (one cluster,
 * Flagger, Prometheus and bot; a namespace and a traffic simulator each), released in parallel:
 *
 * - bluegreen: iterations with all traffic on the primary (the canary gets only the load tester's requests), then
 *   all traffic to the canary at once after the promotion is approved;
 * - abtest: iterations during which requests with `x-user-type: beta` go to the canary, the others to the primary;
 * - steps: a weighted canary through stepWeights 5, 10, 25, 50, with the traffic steps to 25% and above approved.
 *
 * Release #1 (v2) of each is promoted after an approval in Slack, release #2 (v3) is rejected there.
 */
const APPROVER = 'U0APPROVER1';
const BETA = [{ headers: { 'x-user-type': { exact: 'beta' } } }];
const ITERATIONS = 3;

/**
 * `steps` and `doctor` name the harness cluster, read as the `release-bot` identity with deploy/rbac.yaml: `steps`
 * states no analysis, so its weights can only come from its live Canary; `doctor` is only asked `/canary doctor`.
 */
const CONFIG = (env: Environment) => `
clusters:
  e2e: { kubeconfig: ${JSON.stringify(env.cluster.releaseBotKubeconfig)} }
services:
  bluegreen/${NAME}:
    channel: C0RELEASES1
    approvers: { users: [${APPROVER}] }
    gates: { confirm-rollout: auto, confirm-promotion: manual }
    analysis: { iterations: ${ITERATIONS} }
  abtest/${NAME}:
    channel: C0RELEASES1
    approvers: { users: [${APPROVER}] }
    gates: { confirm-rollout: auto, confirm-promotion: manual }
    analysis: { iterations: ${ITERATIONS}, match: true }
  steps/${NAME}:
    channel: C0RELEASES1
    cluster: e2e
    approvers: { users: [${APPROVER}] }
    gates:
      confirm-rollout: auto
      confirm-traffic-increase: { mode: manual, fromWeight: 25 }
      confirm-promotion: manual
  doctor/${NAME}:
    channel: C0RELEASES1
    cluster: e2e
    approvers: { users: [${APPROVER}] }
    gates: { confirm-promotion: manual }
    # the design document's SLA matrix row for product-service
    traffic: { timeout: 5s, retries: { attempts: 3, perTryTimeout: 1.5s } }
`;

/**
 * A Canary as it drifts in real life, for `/canary doctor`: the promotion gate still on the loadtester, no rollback
 * hook, an event hook without its token, a 2 s timeout; a route timeout and retries outside the SLA matrix and
 * circuit breaking looser than the design document's. Flagger writes the last three into its VirtualService and
 * DestinationRules, which is where the doctor reads them.
 */
function misconfiguredCanary(): KubeObject {
  const base = manifests.canary({
    namespace: 'doctor',
    name: NAME,
    botUrl: 'https://release-bot.example.com',
    token: 't',
  });
  const spec = base.spec as { service: Record<string, unknown>; analysis: { webhooks: Record<string, unknown>[] } };
  spec.service.timeout = '30s';
  spec.service.retries = { attempts: 1, perTryTimeout: '30s', retryOn: 'gateway-error' };
  spec.service.trafficPolicy = {
    tls: { mode: 'ISTIO_MUTUAL' },
    outlierDetection: { consecutive5xxErrors: 10, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
  };
  spec.analysis.webhooks = [
    { name: 'load-test-gate', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' },
    { name: 'release-bot-event', type: 'event', url: 'https://release-bot.example.com/flagger/event' },
    {
      name: 'release-bot-post-rollout',
      type: 'post-rollout',
      url: 'https://release-bot.example.com/flagger/post-rollout',
      timeout: '2s',
      metadata: { token: 't' },
    },
  ];
  return base;
}

/** The bot's ClusterRole, bound in each namespace the bot reads (deploy/rbac.yaml binds `production`). */
async function bindReleaseBot(admin: KubeClient, namespaces: string[]): Promise<void> {
  for (const { object, text } of readManifests(RBAC_FILE)) {
    if (object.kind !== 'RoleBinding') {
      await admin.applyText(object, text);
      continue;
    }
    for (const ns of namespaces) {
      await admin.applyText(
        { ...object, metadata: { ...object.metadata, namespace: ns } },
        text.replace(/namespace: production/g, `namespace: ${ns}`),
      );
    }
  }
}

/** The status message of `c`'s release #n as it reads now, blocks included. */
const statusReading = (c: FleetHandle, release: number): string => {
  const t = c.thread(release);
  return t ? readable(t.updates.at(-1) ?? t.root) : '';
};
const route = (primary: number, canary: number): Routes => ({ primary, canary });
const abRoute = (primary: number, canary: number, matched: Routes): Routes => ({ primary, canary, matched });
/** Runs the strategies' releases side by side; fails after all have finished, with every failure's message. */
async function inParallel(releases: Record<string, Promise<void>>): Promise<void> {
  const names = Object.keys(releases);
  const results = await Promise.allSettled(Object.values(releases));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${names[i]}: ${(r.reason as Error).message ?? String(r.reason)}`] : [],
  );
  if (failures.length) throw new Error(failures.join('\n\n'));
}

const GATES = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout'];

describe('End to end: blue-green, A/B testing and weighted steps, side by side on one Flagger', () => {
  let fleet: Fleet | undefined;
  const f = () => {
    if (!fleet) throw new Error('fleet not started');
    return fleet;
  };
  const sequences: Record<string, string[]> = {};

  beforeAll(async () => {
    fleet = await Fleet.start({
      config: CONFIG,
      canaries: [
        {
          namespace: 'bluegreen',
          image: IMAGE_V1,
          // The design document also says stepWeight: 100, which Flagger's CRD refuses next to iterations
          // (spec.analysis must match exactly one of iterations, stepWeight, stepWeights).
          analysis: { iterations: ITERATIONS, threshold: 2, stepWeightPromotion: 100 },
          // the routes send the canary nothing until the promotion: the load tester's requests are its traffic
          traffic: { loadTestRps: 10 },
        },
        {
          namespace: 'abtest',
          image: IMAGE_V1,
          analysis: { iterations: ITERATIONS, threshold: 2, match: BETA },
          // one request in five is a beta user's
          traffic: { matchedShare: 0.2 },
        },
        { namespace: 'steps', image: IMAGE_V1, analysis: { stepWeights: [5, 10, 25, 50] } },
      ],
    });
    // Before any release starts: the worker reads `steps`' Canary as its release #1 starts.
    await fleet.admin.apply(manifests.namespace('doctor'));
    await bindReleaseBot(fleet.admin, ['steps', 'doctor']);
  }, 300_000);

  afterAll(async () => {
    for (const [service, lines] of Object.entries(sequences))
      console.log(`hooks Flagger called for ${service}:\n${lines.join('\n')}`);
    await fleet?.stop();
  });

  /** Approves the request in `c`'s thread whose text contains `text`, as the approver. */
  const approve = async (c: FleetHandle, text: string, after = 0) => {
    const request = await c.waitForRequest(text, after, 60_000);
    const click = await f().h.click(ACTIONS.approve, buttonOf(request, ACTIONS.approve), APPROVER);
    expect(click.status).toBe(200);
    return request;
  };

  /** The gates' answers as Flagger saw them, consecutive repeats collapsed: `confirm-promotion(Progressing)=403`. */
  const gateSequence = (c: FleetHandle, from: number) =>
    hookSequence(
      c
        .hooks()
        .slice(from)
        .filter((h) => GATES.includes(h.hook)),
      { counts: false },
    );

  /** Release #1 of an iterations strategy: held at confirm-promotion after the iterations, promoted on approval. */
  async function iterationsPromoted(c: FleetHandle, ab: boolean) {
    const from = c.hooks().length;
    const phasesFrom = c.phases.length;
    const initial = await c.routes();
    const routesFrom = c.routeHistory.length - 1;
    expect(initial).toEqual(ab ? abRoute(100, 0, route(100, 0)) : route(100, 0));
    expect(await c.image(`${NAME}-primary`)).toBe(IMAGE_V1);
    await c.deploy(IMAGE_V2);

    await c.waitForPhase('Progressing', 60_000);
    await c.waitForPhase('WaitingPromotion', 180_000);
    const request = await c.waitForRequest(`Promote the canary to primary for ${c.service} release #1`);
    expect(request.args.thread_ts).toBe(c.thread(1)?.root.result.ts);
    // its evidence says how far the analysis got: the iteration, not a weight step
    expect(readable(request)).toContain(`iteration ${ITERATIONS}/${ITERATIONS}`);
    expect(readable(request)).not.toContain('next step');
    const iterations = (n: number) => `Advance ${NAME}.${c.namespace} canary iteration ${n}/${ITERATIONS}`;
    expect(c.events(from)).toEqual(expect.arrayContaining([1, 2, 3].map(iterations)));
    // blue-green keeps every request on the primary; A/B sends the matched ones to the canary, the others not
    expect(await c.routes()).toEqual(ab ? abRoute(100, 0, route(0, 100)) : route(100, 0));
    expect(await c.replicas(NAME)).toBe(2);
    expect(await c.image(`${NAME}-primary`)).toBe(IMAGE_V1);

    // Until the click every promotion check is refused; Flagger keeps checking the metrics, which pass.
    const refused = () => c.of('confirm-promotion').filter((h) => h.status === 403);
    const before = refused().length;
    await c.holdWhile(
      'one more refused promotion check',
      async () => {
        const { phase } = await c.status();
        return phase === 'WaitingPromotion' ? undefined : `left WaitingPromotion without approval: ${phase}`;
      },
      async () => (refused().length >= before + 1 ? true : undefined),
      { timeoutMs: 90_000 },
    );
    expect(c.last.failedChecks ?? 0).toBe(0);
    // Each refusal puts Flagger's iterations back to n-1 (WaitingPromotion's status, then runConfirmPromotionHooks),
    // so the next tick advances to n/n again: while waiting, confirm-promotion is asked every other tick.
    await c.waitFor('the iteration advanced again after the last refusal', async () =>
      c.events(from).filter((e) => e === iterations(ITERATIONS)).length === refused().length + 1 ? true : undefined,
    );
    expect(refused().length).toBeGreaterThanOrEqual(2);
    expect(refused()[0]?.answer).toContain('waiting for approval to promote the canary to primary');
    // The thread's status message shows the iteration Flagger announced, not a weight bar.
    const strategy = ab ? 'A/B testing' : 'Blue-green';
    const status = await c.waitForThread(1, `${strategy} · iteration 3/3`, () =>
      statusReading(c, 1).includes(`${strategy} · iteration ${ITERATIONS}/${ITERATIONS}`),
    );
    expect(status.status).toContain('WaitingPromotion');
    expect(statusReading(c, 1)).not.toContain('0 → ');

    await approve(c, `Promote the canary to primary for ${c.service} release #1`);
    await c.waitForPhase('Succeeded', 120_000);
    expect(await c.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    expect(await c.routes()).toEqual(ab ? abRoute(100, 0, route(100, 0)) : route(100, 0));
    expect(await c.replicas(NAME)).toBe(0);
    // Flagger calls post-rollout, then sends the event
    await c.waitFor('the last event', async () =>
      c.events(from).includes(`Promotion completed! Scaling down ${NAME}.${c.namespace}`) ? true : undefined,
    );
    expect(c.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });

    expect(c.phases.slice(phasesFrom)).toEqual([
      'Progressing',
      'WaitingPromotion',
      'Promoting',
      'Finalising',
      'Succeeded',
    ]);
    // Which gates Flagger asked, in which phase (the payload's), and the bot's answers: no traffic step at all.
    expect(gateSequence(c, from)).toEqual([
      'confirm-rollout(Initialized)',
      'confirm-promotion(Progressing)=403',
      'confirm-promotion(Progressing)',
      'post-rollout(Succeeded)',
    ]);
    expect(
      c
        .hooks()
        .slice(from)
        .filter((h) => h.hook === 'confirm-traffic-increase'),
    ).toEqual([]);
    // blue-green passes the gate twice: once to route all traffic to the canary, once to copy the spec
    expect(c.of('confirm-promotion').filter((h) => h.status === 200)).toHaveLength(ab ? 1 : 2);
    const rollbacks = c
      .hooks()
      .slice(from)
      .filter((h) => h.hook === 'rollback');
    expect(rollbacks.length).toBeGreaterThan(ITERATIONS);
    expect(rollbacks.every((h) => h.status === 403)).toBe(true);
    expect(new Set(rollbacks.map((h) => h.phase))).toEqual(new Set(['Progressing', 'WaitingPromotion']));

    const events = c.events(from);
    expect(events.some((e) => e.includes('canary weight'))).toBe(false);
    if (ab) {
      expect(events).toEqual(
        expect.arrayContaining([
          `Copying ${NAME}.${c.namespace} template spec to ${NAME}-primary.${c.namespace}`,
          'Routing all traffic to primary',
          `Promotion completed! Scaling down ${NAME}.${c.namespace}`,
        ]),
      );
      expect(events).not.toContain('Routing all traffic to canary');
      // the routes Istio had: matched requests to the canary during the iterations, back to the primary at Promoting
      expect(c.routeHistory.slice(routesFrom)).toEqual([
        abRoute(100, 0, route(100, 0)),
        abRoute(100, 0, route(0, 100)),
        abRoute(100, 0, route(100, 0)),
      ]);
    } else {
      expect(events).toEqual(
        expect.arrayContaining([
          'Routing all traffic to canary',
          `Copying ${NAME}.${c.namespace} template spec to ${NAME}-primary.${c.namespace}`,
          `Advance ${NAME}.${c.namespace} primary weight 100`,
          `Promotion completed! Scaling down ${NAME}.${c.namespace}`,
        ]),
      );
      // all to the canary once approved, then all back to the promoted primary
      expect(c.routeHistory.slice(routesFrom)).toEqual([route(100, 0), route(0, 100), route(100, 0)]);
    }

    const thread = await c.waitForThread(1, 'succeeded', (t) =>
      t.status.includes('Succeeded, 100% on the promoted primary'),
    );
    expect(thread.replies).toEqual([
      expect.stringContaining(`Promote the canary to primary for ${c.service} release #1`),
      `:white_check_mark: <@${APPROVER}> approved: promote the canary to primary.`,
      expect.stringContaining('Promoted: the primary now runs the new revision'),
    ]);
    sequences[c.service] = [`release #1 (promoted): ${hookTicks(c.hooks().slice(from))}`];
  }

  /** Release #1 of the weighted canary: 5 and 10 on their own, 25 and 50 after approvals, then the promotion. */
  async function stepsPromoted(c: FleetHandle) {
    const from = c.hooks().length;
    const phasesFrom = c.phases.length;
    expect(await c.routes()).toEqual(route(100, 0));
    const routesFrom = c.routeHistory.length - 1;
    await c.deploy(IMAGE_V2);
    await c.waitForPhase('Progressing', 60_000);

    // It holds at 10 while the request to shift 25% waits.
    const shift25 = await c.waitForRequest(
      `Shift 25% of traffic to the canary for ${c.service} release #1`,
      0,
      120_000,
    );
    expect(await c.routes()).toEqual(route(90, 10));
    const refused = () => c.of('confirm-traffic-increase').filter((h) => h.status === 403);
    const before = refused().length;
    expect(before).toBeGreaterThan(0);
    expect(refused()[0]?.answer).toContain('waiting for approval to shift 25% of traffic to the canary');
    expect(shift25.args.thread_ts).toBe(c.thread(1)?.root.result.ts);
    await c.holdWhile(
      'one more refused traffic check at weight 10',
      async () => {
        const routes = await c.routes();
        return routes.canary === 10 ? undefined : `moved to ${JSON.stringify(routes)} without approval`;
      },
      async () => (refused().length >= before + 1 ? true : undefined),
      { timeoutMs: 60_000 },
    );
    expect((await c.status()).phase).toBe('Progressing');
    expect(c.requests()).toHaveLength(1);
    // The status line: Flagger's own steps, the ones reached in bold. The config states no analysis: these steps
    // (and the hold at 10 for 25 above) come from the live Canary, read by the worker as the release started.
    await c.waitForThread(1, 'the steps reached', () => statusReading(c, 1).includes('0 → *5* → *10* → 25 → 50 → 100'));

    await approve(c, `Shift 25% of traffic to the canary for ${c.service} release #1`);
    await c.waitFor('weight 25', async () => ((await c.routes()).canary === 25 ? true : undefined), {
      timeoutMs: 60_000,
    });
    // 50 is above fromWeight too
    await approve(c, `Shift 50% of traffic to the canary for ${c.service} release #1`, 1);
    await c.waitFor('weight 50', async () => ((await c.routes()).canary === 50 ? true : undefined), {
      timeoutMs: 60_000,
    });
    await c.waitForPhase('WaitingPromotion', 60_000);
    expect(await c.routes()).toEqual(route(50, 50));
    // WaitingPromotion's status says weight 0 (Flagger resets it with the phase) while the routes stay at 50/50.
    expect((await c.status()).canaryWeight ?? 0).toBe(0);
    await approve(c, `Promote the canary to primary for ${c.service} release #1`, 2);

    await c.waitForPhase('Succeeded', 120_000);
    expect(await c.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    expect(await c.routes()).toEqual(route(100, 0));
    expect(await c.replicas(NAME)).toBe(0);
    await c.waitFor('the last event', async () =>
      c.events(from).includes(`Promotion completed! Scaling down ${NAME}.${c.namespace}`) ? true : undefined,
    );
    expect(c.of('post-rollout').at(-1)).toMatchObject({ phase: 'Succeeded', status: 200 });
    expect(c.phases.slice(phasesFrom)).toEqual([
      'Progressing',
      'WaitingPromotion',
      'Promoting',
      'Finalising',
      'Succeeded',
    ]);
    expect(c.routeHistory.slice(routesFrom)).toEqual([
      route(100, 0),
      route(95, 5),
      route(90, 10),
      route(75, 25),
      route(50, 50),
      route(100, 0),
    ]);
    const weights = c
      .events(from)
      .filter((e) => e.startsWith(`Advance ${NAME}.${c.namespace} canary weight`))
      .map((e) => Number(e.split(' ').at(-1)));
    expect(weights).toEqual([5, 10, 25, 50]);
    expect(gateSequence(c, from)).toEqual([
      'confirm-rollout(Initialized)',
      'confirm-traffic-increase(Progressing)',
      'confirm-traffic-increase(Progressing)=403',
      'confirm-traffic-increase(Progressing)',
      'confirm-traffic-increase(Progressing)=403',
      'confirm-traffic-increase(Progressing)',
      'confirm-promotion(Progressing)=403',
      'confirm-promotion(Progressing)',
      'post-rollout(Succeeded)',
    ]);
    // 5, 10 automatic; 25, 50 approved; and the call at 50 (maxWeight) just before the promotion gate
    expect(c.of('confirm-traffic-increase').filter((h) => h.status === 200)).toHaveLength(5);

    const thread = await c.waitForThread(1, 'succeeded', (t) =>
      t.status.includes('Succeeded, 100% on the promoted primary'),
    );
    expect(thread.replies).toEqual([
      expect.stringContaining(`Shift 25% of traffic to the canary for ${c.service} release #1`),
      `:white_check_mark: <@${APPROVER}> approved: shift 25% of traffic to the canary.`,
      expect.stringContaining(`Shift 50% of traffic to the canary for ${c.service} release #1`),
      `:white_check_mark: <@${APPROVER}> approved: shift 50% of traffic to the canary.`,
      expect.stringContaining(`Promote the canary to primary for ${c.service} release #1`),
      `:white_check_mark: <@${APPROVER}> approved: promote the canary to primary.`,
      expect.stringContaining('Promoted: the primary now runs the new revision'),
    ]);
    sequences[c.service] = [`release #1 (promoted): ${hookTicks(c.hooks().slice(from))}`];
  }

  it('/canary doctor reports, one line each, what drifted in a Canary and in the mesh objects Flagger made from it', async () => {
    const { admin } = f();
    await admin.apply(manifests.deployment('doctor', NAME, IMAGE_V1));
    await admin.apply(misconfiguredCanary());
    const phase = async () =>
      (await admin.get<{ status?: { phase?: string } }>(`/apis/flagger.app/v1beta1/namespaces/doctor/canaries/${NAME}`))
        .status?.phase;
    await f().canaries[0]?.waitFor(
      'doctor/product-service Initialized',
      async () => ((await phase()) === 'Initialized' ? true : undefined),
      { timeoutMs: 180_000 },
    );

    const report = await f().h.bot.doctor(`doctor/${NAME}`);
    const line = (subject: string) => report.checks.find((c) => c.subject === subject);

    // read as the bot, with deploy/rbac.yaml: nothing refused
    expect(report.checks.map((c) => c.found).join('\n')).not.toMatch(/403|Forbidden|may not/);
    expect(line('confirm-promotion webhook')).toMatchObject({
      status: 'fail',
      found: expect.stringContaining('http://flagger-loadtester.test/gate/check'),
    });
    expect(line('rollback webhook')).toMatchObject({ status: 'fail', found: 'none on the Canary' });
    expect(line('webhook token')).toMatchObject({ status: 'fail', found: 'no token on release-bot-event' });
    expect(line('webhook timeouts')).toMatchObject({ status: 'warn', found: 'release-bot-post-rollout 2s' });
    expect(line('route timeout')).toMatchObject({ status: 'warn', found: expect.stringContaining('30s') });
    expect(line('route retries')).toMatchObject({ status: 'warn' });
    expect(line('circuit breaking')).toMatchObject({
      status: 'warn',
      found: expect.stringContaining('consecutive5xxErrors'),
    });
    expect(line(`VirtualService ${NAME}`)?.status).toBe('pass');
    expect(line(`DestinationRule ${NAME}-primary`)?.status).toBe('pass');
    console.log(`/canary doctor doctor/${NAME}, as the bot tells it:\n${doctorMessage(report).text}`);
  }, 300_000);

  it('promotes release #1 of each strategy after an approval in Slack, each through its own hooks and routes', async () => {
    await inParallel({
      bluegreen: iterationsPromoted(f().canary('bluegreen'), false),
      abtest: iterationsPromoted(f().canary('abtest'), true),
      steps: stepsPromoted(f().canary('steps')),
    });
  }, 600_000);

  const REASON = 'p95 doubled on the new revision';

  /** Release #2: waits for the promotion (approving the traffic steps), is rejected with a reason, rolls back. */
  async function rejected(c: FleetHandle) {
    const from = c.hooks().length;
    const phasesFrom = c.phases.length;
    const requestsFrom = c.requests().length;
    await c.deploy(IMAGE_V3);
    await c.waitForPhase('Progressing', 60_000);
    if (c.namespace === 'steps') {
      await approve(c, `Shift 25% of traffic to the canary for ${c.service} release #2`, requestsFrom);
      await approve(c, `Shift 50% of traffic to the canary for ${c.service} release #2`, requestsFrom);
    }
    await c.waitForPhase('WaitingPromotion', 180_000);
    const request = await c.waitForRequest(
      `Promote the canary to primary for ${c.service} release #2`,
      requestsFrom,
      60_000,
    );
    expect(await c.replicas(NAME)).toBe(2);

    const click = await f().h.click(ACTIONS.reject, buttonOf(request, ACTIONS.reject), APPROVER);
    expect(click.status).toBe(200);
    const view = f()
      .slack.called('views.open')
      .map((o) => o.args.view as { callback_id: string; private_metadata: string })
      .filter((v) => (JSON.parse(v.private_metadata) as { s?: string }).s === c.service)
      .at(-1);
    expect(view?.callback_id).toBe(REJECT_VIEW);
    const submitted = await f().h.submitView(view?.callback_id ?? '', view?.private_metadata ?? '', REASON, APPROVER);
    expect(submitted.status).toBe(200);
    const rejectedAt = Date.now();

    await c.waitForPhase('Failed', 60_000);
    const rollback = c
      .hooks()
      .slice(from)
      .find((h) => h.hook === 'rollback' && h.status === 200);
    expect(rollback).toMatchObject({ phase: 'WaitingPromotion' });
    expect(rollback?.answer).toContain(
      `rolling back ${c.service} release #2: requested by ${APPROVER} (rejected: ${REASON})`,
    );
    expect((rollback?.at ?? Infinity) - rejectedAt).toBeLessThan(25_000);
    expect(c.events(from)).toEqual(
      expect.arrayContaining([
        `Rolling back ${NAME}.${c.namespace} manual webhook invoked`,
        `Canary failed! Scaling down ${NAME}.${c.namespace}`,
      ]),
    );
    expect(await c.routes()).toEqual(c.namespace === 'abtest' ? abRoute(100, 0, route(100, 0)) : route(100, 0));
    expect(await c.replicas(NAME)).toBe(0);
    expect(await c.image(`${NAME}-primary`)).toBe(IMAGE_V2);
    expect(c.of('confirm-promotion').slice(-1)[0]?.status).toBe(403);
    expect(c.phases.slice(phasesFrom)).toEqual(['Progressing', 'WaitingPromotion', 'Failed']);
    await c.waitFor('the post-rollout hook', async () =>
      c
        .hooks()
        .slice(from)
        .find((h) => h.hook === 'post-rollout'),
    );
    expect(c.of('post-rollout').at(-1)).toMatchObject({ phase: 'Failed', status: 200 });
    if (c.namespace !== 'steps')
      expect(
        c
          .hooks()
          .slice(from)
          .filter((h) => h.hook === 'confirm-traffic-increase'),
      ).toEqual([]);

    // steps names the cluster: its rollback runbook sets the routes itself, then waits for Flagger's Failed; the
    // others name none, so only the Flagger signal runs and the cluster steps are skipped.
    const finished =
      c.namespace === 'steps'
        ? /^:white_check_mark: Rollback finished in [\d.]+ m?s: traffic on the primary, canary Failed, 1 step skipped\.$/
        : /^:white_check_mark: Rollback finished in \d+ ms: 5 steps skipped\.$/;
    const thread = await c.waitForThread(
      2,
      'failed, and the rollback finished',
      (t) => t.status.includes(': Failed, 100% back on the primary') && t.replies.some((r) => finished.test(r)),
    );
    expect(thread.replies.slice(-5, -2)).toEqual([
      expect.stringContaining(`Promote the canary to primary for ${c.service} release #2`),
      `:no_entry: <@${APPROVER}> rejected: promote the canary to primary. Reason: ${REASON}. Flagger will roll the canary back at its next check.`,
      `Rollback (${c.service} release #2): running`,
    ]);
    // The runbook's end and Flagger's come in either order.
    expect(thread.replies.slice(-2)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(finished),
        ':red_circle: Failed: Flagger rolled the canary back; the primary is unchanged.',
      ]),
    );
    const requestNow = c
      .thread(2)
      ?.replies.find((r) => r.post === request)
      ?.updates.at(-1);
    expect(String(requestNow?.args.text)).toContain(`Rejected by <@${APPROVER}>: ${REASON}`);
    expect(requestNow && buttonsOf(requestNow)).toEqual([]);
    sequences[c.service]?.push(`release #2 (rejected): ${hookTicks(c.hooks().slice(from))}`);
  }

  it('rolls back release #2 of each strategy after a Reject with a reason in Slack', async () => {
    await inParallel({
      bluegreen: rejected(f().canary('bluegreen')),
      abtest: rejected(f().canary('abtest')),
      steps: rejected(f().canary('steps')),
    });
  }, 600_000);
});
