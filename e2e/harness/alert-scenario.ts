import { join } from 'node:path';
import type { AlertPost, AlertRecorder } from './alertmanager';
import { botConfig } from './bot-config';
import { readManifests } from './cluster';
import type { HookCall } from './hook-recorder';
import { CANARY_ALERT } from './prometheus';
import { Scenario } from './scenario';

/** The bot's Kubernetes access as the repository ships it, applied as is (test/e2e/rbac.test.ts checks it alone). */
export const RBAC_FILE = join(__dirname, '..', '..', 'deploy', 'rbac.yaml');

/**
 * The alert scenario's start: the Canary production/product-service Initialized on the first image, the canary's
 * error-ratio rule in Prometheus, Alertmanager posting to the bot, and the bot configured with the harness cluster
 * (as the `release-bot` identity, bound by deploy/rbac.yaml) and Prometheus, so its rollback runbook acts on the
 * same VirtualService and Deployments Flagger manages.
 */
export async function startAlertScenario(image: string): Promise<Scenario> {
  const s = await Scenario.start({
    config: (env) => botConfig({ prometheus: env.prometheus.url, kubeconfig: env.cluster.releaseBotKubeconfig }),
    namespace: 'production',
    name: 'product-service',
    image,
    alerting: true,
  });
  try {
    for (const { object, text } of readManifests(RBAC_FILE)) await s.admin.applyText(object, text);
    return s;
  } catch (error) {
    await s.stop();
    throw error;
  }
}

export function recorderOf(s: Scenario): AlertRecorder {
  const recorder = s.env.alerting?.recorder;
  if (!recorder) throw new Error('the scenario was started without alerting');
  return recorder;
}

/** One alert-driven rollback, with the moments that make up its timings (ms since the epoch). */
export interface AlertRollbackRun {
  release: number;
  /** the canary's weight when the fault was injected */
  weight: number;
  faultAt: number;
  /** Alertmanager's firing notification, as it reached the recorder in front of the bot */
  post: AlertPost;
  /** when the VirtualService was first seen routing 100 % to the primary (polled every 25 ms) */
  relievedAt: number;
  failedAt: number;
  /** Flagger's first rollback call answered 2xx after the fault */
  rollback: HookCall;
}

/**
 * Deploys `image` as release #`release`, waits until Flagger has shifted at least `minWeight` % to the canary,
 * makes half of the canary's answers 500s, and waits for the relief (VirtualService 100 % primary) and for Flagger's
 * `Failed`. The canary is healthy again when the run starts, and nothing fires.
 */
export async function alertRollbackRun(
  s: Scenario,
  image: string,
  release: number,
  { minWeight = 20 }: { minWeight?: number } = {},
): Promise<AlertRollbackRun> {
  const recorder = recorderOf(s);
  s.env.traffic.set({ canary: { errorRatio: 0, latencyMs: 40 } });
  await s.waitFor(
    'no canary alert firing',
    async () =>
      (await s.env.prometheus.query(`ALERTS{alertname="${CANARY_ALERT}",alertstate="firing"}`)).length === 0
        ? true
        : undefined,
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  await s.deploy(image);
  await s.waitForPhase('Progressing', 60_000);
  const routes = await s.waitFor(
    `the canary at ${minWeight} % or more`,
    async () => {
      const r = await s.routes();
      return r.canary >= minWeight ? r : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  const from = { posts: recorder.posts.length, hooks: s.hooks.calls.length };

  s.env.traffic.set({ canary: { errorRatio: 0.5, latencyMs: 40 } });
  const faultAt = Date.now();
  const relievedAt = await s.waitFor(
    'the VirtualService routing 100 % to the primary',
    async () => ((await s.routes()).primary === 100 ? Date.now() : undefined),
    { timeoutMs: 30_000, intervalMs: 25, describe: () => `${s.diagnosis()}\nalerts:\n${recorder.summary()}` },
  );
  const post = await s.waitFor('the firing notification', async () =>
    recorder.posts
      .slice(from.posts)
      .find((p) => p.payload.status === 'firing' && p.payload.alerts?.some((a) => a.labels.alertname === CANARY_ALERT)),
  );
  await s.waitForPhase('Failed', 30_000);
  const failedAt = Date.now();
  const rollback = await s.waitFor('the rollback hook answered 2xx', async () =>
    s.hooks.calls.slice(from.hooks).find((c) => c.hook === 'rollback' && c.status >= 200 && c.status < 300),
  );
  return { release, weight: routes.canary, faultAt, post, relievedAt, failedAt, rollback };
}
