import { rmSync } from 'node:fs';
import { ALERTMANAGER_TOKEN, FLAGGER_TOKEN, type Harness, startHarness } from '../../testkit/bot';
import type { FakeSlack, SlackCall } from '../../testkit/fake-slack';
import { type CanaryStatus, type Routes, readImage, readReplicas, readRoutes, setImage } from './canary-objects';
import { HookRecorder } from './hook-recorder';
import { type Environment, startEnvironment } from './index';
import type { KubeClient } from './kube';
import * as manifests from './manifests';
import { type WaitOptions, waitFor } from './processes';
import {
  requestsOf,
  stampCalls,
  type Thread,
  type ThreadText,
  threadOf,
  threadsOf,
  threadTextOf,
  toldTo,
} from './slack-thread';

export { botConfig } from './bot-config';
export type { CanaryStatus, Routes } from './canary-objects';
export { buttonOf, buttonsOf, plainText, readable, type Thread } from './slack-thread';

/**
 * One Canary driven by the real Flagger through the in-process bot: the environment (etcd, kube-apiserver,
 * Flagger, Prometheus, traffic), the bot with a fake Slack, the hook recorder between them, and the Canary
 * applied and Initialized. The scenarios (test/e2e), the demo and the benchmark all start from here.
 */
export interface ScenarioOptions {
  /** the bot's YAML configuration; a function gets the started environment (e.g. for Prometheus's URL) */
  config: string | ((env: Environment) => string);
  namespace?: string;
  name?: string;
  /** the Canary's analysis (the bot's config should say the same stepWeight/maxWeight) */
  interval?: string;
  threshold?: number;
  stepWeight?: number;
  maxWeight?: number;
  /** the first revision's image, running as the primary once the Canary is Initialized */
  image?: string;
  /** the canary's alert rule in Prometheus, and Alertmanager posting to the bot (`env.alerting.recorder` sees it) */
  alerting?: boolean;
}

export class Scenario {
  readonly namespace: string;
  readonly name: string;
  /** every phase the Canary went through, as sampled every second and at each poll */
  readonly phases: string[] = [];
  last: CanaryStatus = {};
  private readonly stamps: WeakMap<SlackCall, number>;
  private watcher?: NodeJS.Timeout;

  private constructor(
    readonly env: Environment,
    private bot: Harness,
    readonly hooks: HookRecorder,
    readonly options: ScenarioOptions,
  ) {
    this.namespace = options.namespace ?? 'production';
    this.name = options.name ?? 'product-service';
    this.stamps = stampCalls(bot.slack);
  }

  /**
   * Starts everything and applies the namespace, the Deployment (first image) and the Canary, then waits until
   * Flagger has Initialized it. Whatever was started is stopped again when starting fails.
   */
  static async start(options: ScenarioOptions): Promise<Scenario> {
    const namespace = options.namespace ?? 'production';
    const name = options.name ?? 'product-service';
    const interval = options.interval ?? '10s';
    let bot: Harness | undefined;
    const botUrl = () => {
      if (!bot) throw new Error('bot not started');
      // a getter: after h.restart() this is the new server's URL
      return bot.bot.url;
    };
    const alerting = options.alerting ? { alerting: { token: ALERTMANAGER_TOKEN, forwardTo: botUrl } } : {};
    const env = await startEnvironment({ namespace, service: name, interval: '10s', ...alerting });
    let scenario: Scenario | undefined;
    const hooks = new HookRecorder(botUrl);
    try {
      bot = await startHarness(typeof options.config === 'function' ? options.config(env) : options.config);
      const hooksUrl = await hooks.start();
      scenario = new Scenario(env, bot, hooks, options);
      const s = scenario;
      s.watcher = setInterval(() => void s.status().catch(() => undefined), 1000);
      await env.cluster.admin.apply(manifests.namespace(namespace));
      await env.cluster.admin.apply(
        manifests.deployment(namespace, name, options.image ?? 'registry.example.com/acme/product-service:1.0.0'),
      );
      await env.cluster.admin.apply(
        manifests.canary({
          namespace,
          name,
          botUrl: hooksUrl,
          token: FLAGGER_TOKEN,
          interval,
          threshold: options.threshold ?? 5,
          stepWeight: options.stepWeight ?? 10,
          maxWeight: options.maxWeight ?? 50,
        }),
      );
      // Flagger creates <name>-primary, waits for it to be ready, scales the target to 0.
      await s.waitForPhase('Initialized', 120_000);
      return s;
    } catch (error) {
      if (scenario) await scenario.stop();
      else {
        await env.stop();
        await hooks.stop();
        await bot?.stop();
      }
      throw error;
    }
  }

  /** Flagger first, so that it calls no webhook of a bot that is gone. The bot's data folder goes too (unless E2E_KEEP=1). */
  async stop(): Promise<void> {
    clearInterval(this.watcher);
    await this.env.stop();
    await this.hooks.stop();
    await this.bot.stop();
    if (process.env.E2E_KEEP !== '1') rmSync(this.bot.dataDir, { recursive: true, force: true });
  }

  /** The bot harness: h.click, h.command, h.submitView, h.restart, h.bot. */
  get h(): Harness {
    return this.bot;
  }

  get slack(): FakeSlack {
    return this.bot.slack;
  }

  get admin(): KubeClient {
    return this.env.cluster.admin;
  }

  get canaryPath(): string {
    return `/apis/flagger.app/v1beta1/namespaces/${this.namespace}/canaries/${this.name}`;
  }

  /** When the fake Slack received a call (ms since the epoch). */
  slackTime(call: SlackCall): number | undefined {
    return this.stamps.get(call);
  }

  async status(): Promise<CanaryStatus> {
    this.last = (await this.admin.get<{ status?: CanaryStatus }>(this.canaryPath)).status ?? {};
    const phase = this.last.phase ?? '(none)';
    if (this.phases.at(-1) !== phase) this.phases.push(phase);
    return this.last;
  }

  async canarySpec(): Promise<{ analysis: { interval: string; threshold: number } }> {
    return (await this.admin.get<{ spec: { analysis: { interval: string; threshold: number } } }>(this.canaryPath))
      .spec;
  }

  /** Live weights of the VirtualService Flagger manages, as Istio would route. */
  routes(): Promise<Routes> {
    return readRoutes(this.admin, this.namespace, this.name);
  }

  image(name: string): Promise<string | undefined> {
    return readImage(this.admin, this.namespace, name);
  }

  replicas(name: string): Promise<number> {
    return readReplicas(this.admin, this.namespace, name);
  }

  /** A new revision: only the target Deployment's image changes (canary-objects.ts says why). */
  deploy(image: string): Promise<void> {
    return setImage(this.admin, this.namespace, this.name, image);
  }

  diagnosis = (): string =>
    `canary status ${JSON.stringify(this.last)}; phases ${this.phases.join(' -> ')}\n` +
    `webhooks:\n${this.hooks.summary(25)}\nslack: ${this.slack.texts().slice(-8).join(' | ')}\n` +
    this.env.logs(20);

  /** waitFor with this scenario's diagnosis in the failure message. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
    return waitFor(what, probe, { describe: this.diagnosis, ...options });
  }

  waitForPhase(phase: string, timeoutMs: number): Promise<true> {
    return this.waitFor(
      `Canary phase ${phase}`,
      async () => ((await this.status()).phase === phase ? true : undefined),
      {
        timeoutMs,
        intervalMs: 500,
      },
    );
  }

  /**
   * Polls `until` while checking `invariant` at every poll: fails at once, with the diagnosis, when the invariant
   * reports a violation (a sentence), instead of polling on until the timeout as waitFor does with errors.
   */
  async holdWhile<T>(
    what: string,
    invariant: () => Promise<string | undefined>,
    until: () => Promise<T | undefined>,
    { timeoutMs = 120_000, intervalMs = 1000 }: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const violation = await invariant();
      if (violation) throw new Error(`${what}: ${violation}\n${this.diagnosis()}`);
      const value = await until();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${this.diagnosis()}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Waits for the `count`-th call of `hook` after `from` (an index into hooks.calls) that matches. */
  waitForHooks(
    hook: string,
    count: number,
    from: number,
    match: (c: HookRecorder['calls'][number]) => boolean = () => true,
    timeoutMs = 60_000,
  ): Promise<HookRecorder['calls']> {
    return this.waitFor(
      `${count} ${hook} call(s)`,
      async () => {
        const calls = this.hooks.calls.slice(from).filter((c) => c.hook === hook && match(c));
        return calls.length >= count ? calls : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  /** Approval requests posted so far (thread replies carrying an Approve button), oldest first. */
  requests(): SlackCall[] {
    return requestsOf(this.slack);
  }

  waitForRequest(text: string, after = 0, timeoutMs = 30_000): Promise<SlackCall> {
    return this.waitFor(
      `an approval request "${text}"`,
      async () =>
        this.requests()
          .slice(after)
          .find((p) => String(p.args.text).includes(text)),
      { timeoutMs },
    );
  }

  /** Each release's thread, in the order they were started. */
  threads(): Thread[] {
    return threadsOf(this.slack);
  }

  /** The thread of release #n, found by its status message. */
  thread(release: number): Thread | undefined {
    return threadOf(this.slack, release);
  }

  /** The status message's text as it reads now, and the replies' texts as posted. */
  threadText(release: number): ThreadText {
    return threadTextOf(this.slack, release);
  }

  /** Waits until the worker has caught up and release #n's thread passes `check`. */
  waitForThread(
    release: number,
    what: string,
    check: (text: ThreadText) => boolean,
    timeoutMs = 30_000,
  ): Promise<ThreadText> {
    return this.waitFor(
      `release #${release}'s thread: ${what}`,
      async () => {
        await this.h.bot.queue.drain();
        const text = this.threadText(release);
        return check(text) ? text : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** Ephemeral messages the bot showed to `user`, oldest first. */
  toldTo(user: string): string[] {
    return toldTo(this.slack, user);
  }
}
