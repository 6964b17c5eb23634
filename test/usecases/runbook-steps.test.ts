import { snapshotSummary } from '../../shared/domain/snapshot-text';
import type { MetricsSource } from '../../shared/ports/metrics';
import { aRun } from '../../testkit/builders';
import { deployment } from '../support/fake-cluster';
import { NS, runbookWorld, SERVICE } from '../support/runbook-setup';

type World = ReturnType<typeof runbookWorld>;

/** Runs a one-step runbook `one` (or its dry run) and returns the world and that step's result. */
async function runOne(
  step: string,
  options: { dryRun?: boolean; prepare?: (world: World) => unknown; metrics?: MetricsSource; cluster?: boolean } = {},
) {
  const world = runbookWorld({
    lines: ['one:', '  steps:', `    - ${step}`],
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.cluster === false ? { cluster: false } : {}),
  });
  await options.prepare?.(world);
  const id = options.dryRun ? 'dry-run:one@1' : 'one';
  const outcome = await world.continue(await world.start('one', { dryRun: options.dryRun ?? false, id }));
  const execution = await world.execution(id);
  return { world, outcome, execution, result: execution?.results[0] };
}

/** A Prometheus that answers every query with one number. */
const steadyMetrics: MetricsSource = {
  description: 'prometheus http://127.0.0.1:9',
  instant: async () => ({ value: 1 }),
  range: async () => [1, 1, 1],
};

describe('Runbook steps', () => {
  describe('Step: signal-flagger', () => {
    it('leaves a rollback someone else asked for as it is', async () => {
      const { world, result } = await runOne('{ kind: signal-flagger }', {
        prepare: (w) =>
          w.store.startRun(
            aRun({
              service: SERVICE,
              state: 'progressing',
              rollback: { by: 'U0PERSON', at: '2026-12-03T09:59:00.000Z', reason: 'looks bad', cause: 'person' },
            }),
            0,
          ),
      });
      expect(result).toMatchObject({ status: 'ok', detail: 'already signalled by U0PERSON' });
      expect((await world.store.getRun(SERVICE, 1))?.rollback?.by).toBe('U0PERSON');
    });
  });

  describe('Step: set-weights', () => {
    it("fails with the adapter's sentence once its retries of a 5xx ran out, and ends the execution", async () => {
      const { outcome, execution, result } = await runOne('{ kind: set-weights, primary: 100, canary: 0 }', {
        prepare: (w) =>
          w.cluster.failWith('setWeights', {
            error: 'the apiserver answered 503 five times',
            retryable: true,
            status: 503,
          }),
      });
      expect(outcome).toBe('failed');
      expect(result).toMatchObject({ status: 'failed', detail: 'the apiserver answered 503 five times' });
      expect(execution?.summary).toBe('step 1/1 set-weights failed: the apiserver answered 503 five times');
    });

    it('is idempotent: weights already so are reported, not changed', async () => {
      const { result } = await runOne('{ kind: set-weights, primary: 50, canary: 50 }');
      expect(result).toMatchObject({ status: 'ok', detail: 'already primary 50, canary 50' });
    });
  });

  describe('Step: scale', () => {
    it('scales the Deployment a placeholder names', async () => {
      const { world, result } = await runOne("{ kind: scale, deployment: '{canary}', replicas: 0 }");
      expect(result).toMatchObject({ status: 'ok', detail: 'product-service replicas 2 -> 0' });
      expect(world.cluster.deployments.get(`${NS}/product-service`)?.replicas).toBe(0);
    });

    it('in a dry run scales nothing', async () => {
      const { world, result } = await runOne("{ kind: scale, deployment: '{primary}', replicas: 3 }", { dryRun: true });
      expect(result).toMatchObject({
        status: 'dry-run',
        detail: 'would change: product-service-primary replicas 2 -> 3',
      });
      expect(world.cluster.deployments.get(`${NS}/product-service-primary`)?.replicas).toBe(2);
      expect(world.cluster.changes()).toEqual([
        { verb: 'scale', target: `${NS}/product-service-primary`, dryRun: true },
      ]);
    });

    it('fails on a Deployment that does not exist', async () => {
      const { result } = await runOne('{ kind: scale, deployment: missing, replicas: 1 }');
      expect(result).toMatchObject({ status: 'failed', detail: 'Deployment missing not found in production' });
    });
  });

  describe('Steps: patch and annotate', () => {
    const canary = { metadata: { name: 'product-service' }, spec: { analysis: { threshold: 5 } } };

    it('merge-patches the object', async () => {
      const { world, result } = await runOne(
        "{ kind: patch, resource: { kind: Canary, name: '{service}' }, patch: { spec: { skipAnalysis: true } } }",
        { prepare: (w) => w.cluster.objects.set(`Canary/${NS}/product-service`, structuredClone(canary)) },
      );
      expect(result).toMatchObject({ status: 'ok', detail: 'Canary product-service patched' });
      expect(world.cluster.objects.get(`Canary/${NS}/product-service`)).toEqual({
        metadata: { name: 'product-service' },
        spec: { analysis: { threshold: 5 }, skipAnalysis: true },
      });
    });

    it('annotates the object, and in a dry run leaves it as it was', async () => {
      const step =
        "{ kind: annotate, resource: { kind: Deployment, name: '{canary}' }, annotations: { release-bot/rolled-back: 'true' } }";
      const prepare = (w: World) => w.cluster.objects.set(`Deployment/${NS}/product-service`, { metadata: {} });

      const real = await runOne(step, { prepare });
      const dry = await runOne(step, { prepare, dryRun: true });

      expect(real.result).toMatchObject({
        status: 'ok',
        detail: 'Deployment product-service annotated release-bot/rolled-back',
      });
      expect(real.world.cluster.objects.get(`Deployment/${NS}/product-service`)).toEqual({
        metadata: { annotations: { 'release-bot/rolled-back': 'true' } },
      });
      expect(dry.result?.status).toBe('dry-run');
      expect(dry.world.cluster.objects.get(`Deployment/${NS}/product-service`)).toEqual({ metadata: {} });
    });
  });

  describe('Step: wait', () => {
    it('polls until the Deployment is ready', async () => {
      let reads = 0;
      const { result } = await runOne(
        "{ kind: wait, until: { condition: deployment-ready, deployment: '{primary}' }, timeout: 30s }",
        {
          prepare: (w) => {
            w.cluster.deployments.set(`${NS}/product-service-primary`, deployment(2, 0));
            w.cluster.beforeCall = (call) => {
              if (call.verb === 'deploymentState' && ++reads === 4) {
                w.cluster.deployments.set(`${NS}/product-service-primary`, deployment(2));
              }
            };
          },
        },
      );
      expect(result).toMatchObject({
        status: 'ok',
        detail: 'Deployment product-service-primary is ready after 0.8 s',
        durationMs: 750,
      });
    });

    it('fails with what it last saw when the step timeout passes', async () => {
      const { result } = await runOne(
        "{ kind: wait, until: { condition: deployment-scaled-to-zero, deployment: '{canary}' }, timeout: 5s }",
      );
      expect(result).toMatchObject({ status: 'failed', detail: 'still 2/2 ready after 5 s' });
    });

    it('is skipped without a cluster', async () => {
      const { result } = await runOne('{ kind: wait, until: { condition: canary-phase, phase: Failed } }', {
        cluster: false,
      });
      expect(result).toMatchObject({
        status: 'skipped',
        detail: 'no cluster is configured for production/product-service',
      });
    });
  });

  describe('Step: inspect', () => {
    const prepare = (w: World) => {
      w.cluster.objects.set(`VirtualService/${NS}/product-service`, {
        spec: {
          http: [
            {
              route: [
                { destination: { host: 'product-service-primary' }, weight: 50 },
                { destination: { host: 'product-service-canary' }, weight: 50 },
              ],
            },
          ],
        },
      });
      w.cluster.destinationRules = [
        {
          metadata: { name: 'product-service-primary' },
          spec: { host: 'product-service-primary', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
        },
      ];
    };

    it.each([
      ['canary', 'Canary product-service: phase Progressing, canary weight 50, 1 failed checks'],
      [
        'virtualservice',
        'VirtualService product-service: rule 1: product-service-primary 50, product-service-canary 50',
      ],
      [
        'destinationrules',
        'DestinationRule product-service-primary: host product-service-primary, traffic policy {"tls":{"mode":"ISTIO_MUTUAL"}}',
      ],
      [
        'deployments',
        'Deployments product-service-primary: 2/2 ready, 2 updated, 2 available; product-service: 2/2 ready, 2 updated, 2 available',
      ],
    ])('reports the %s plainly, and changes nothing, also in a dry run', async (what, detail) => {
      const real = await runOne(`{ kind: inspect, what: ${what} }`, { prepare });
      const dry = await runOne(`{ kind: inspect, what: ${what} }`, { prepare, dryRun: true });
      expect(real.result).toMatchObject({ status: 'ok', detail });
      expect(dry.result).toMatchObject({ status: 'ok', detail });
      expect([...real.world.cluster.changes(), ...dry.world.cluster.changes()]).toEqual([]);
    });

    it('fails on an object that is not there', async () => {
      const { result } = await runOne('{ kind: inspect, what: virtualservice }');
      expect(result).toMatchObject({ status: 'failed', detail: 'VirtualService product-service not found' });
    });
  });

  describe('Step: snapshot', () => {
    it('takes the SLO snapshot, keeps it with the run and reports its summary', async () => {
      const { world, result } = await runOne('{ kind: snapshot }', { metrics: steadyMetrics });
      const kept = await world.store.getSnapshot(SERVICE, 1, 'runbook:one#0');
      expect(kept?.split).toEqual({ primary: 50, canary: 50, from: 'virtualservice' });
      expect(result).toMatchObject({ status: 'ok', detail: kept ? snapshotSummary(kept) : 'missing' });
    });

    it('is skipped without Prometheus', async () => {
      const { result } = await runOne('{ kind: snapshot }');
      expect(result).toMatchObject({ status: 'skipped', detail: 'no Prometheus is configured' });
    });
  });

  describe('Step: notify', () => {
    it('reports its text, for the presenter to show', async () => {
      const { result } = await runOne('{ kind: notify, text: Traffic is back on the primary }');
      expect(result).toMatchObject({ status: 'ok', detail: 'Traffic is back on the primary' });
    });
  });
});
