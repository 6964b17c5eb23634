import { rmSync } from 'node:fs';
import { FLAGGER_TOKEN, type Harness, startHarness } from '../../testkit/bot';
import type { FakeSlack, SlackCall } from '../../testkit/fake-slack';
import { type CanaryStatus, type Routes, readImage, readReplicas, readRoutes, setImage } from './canary-objects';
import { type HookCall, HookRecorder } from './hook-recorder';
import { type Environment, startEnvironment } from './index';
import type { KubeClient } from './kube';
import * as manifests from './manifests';
import { type WaitOptions, waitFor } from './processes';
import { requestsOf, type Thread, type ThreadText, threadOf, threadTextOf } from './slack-thread';
import type { TrafficSettings, TrafficSimulator } from './traffic';

/** One Canary of a fleet: where it lives, its strategy, and the first revision's image. */
export interface FleetCanary {
  namespace: string;
  name?: string;
  /** the first revision's image, running as the primary once the Canary is Initialized */
  image: string;
  /** the Canary's analysis: threshold and strategy fields (manifests.canary) */
  analysis?: Partial<
    Pick<
      manifests.CanaryOptions,
      'threshold' | 'stepWeight' | 'maxWeight' | 'stepWeights' | 'iterations' | 'match' | 'stepWeightPromotion'
    >
  >;
  traffic?: Partial<TrafficSettings>;
}

export interface FleetOptions {
  /** the bot's YAML configuration; a function gets the started environment */
  config: string | ((env: Environment) => string);
  canaries: FleetCanary[];
}

/**
 * Several Canaries released side by side in ONE environment (one cluster, Flagger, Prometheus scraping one traffic
 * simulator per Canary) and one bot behind one hook recorder. Each Canary has its handle (`fleet.canary(ns)`),
 * which sees only its own hook calls, requests and threads.
 */
export class Fleet {
  readonly canaries: FleetHandle[];
  private watcher?: NodeJS.Timeout;

  private constructor(
    readonly env: Environment,
    private bot: Harness,
    readonly hooks: HookRecorder,
    specs: FleetCanary[],
  ) {
    this.canaries = specs.map(
      (c, i) => new FleetHandle(this, c.namespace, c.name ?? 'product-service', env.traffics[i] as TrafficSimulator),
    );
  }

  /** Starts everything, applies each Canary's namespace, Deployment and Canary, and waits until all are Initialized. */
  static async start(options: FleetOptions): Promise<Fleet> {
    let bot: Harness | undefined;
    const hooks = new HookRecorder(() => {
      if (!bot) throw new Error('bot not started');
      return bot.bot.url;
    });
    const specs = options.canaries;
    const env = await startEnvironment({
      canaries: specs.map((c) => ({
        namespace: c.namespace,
        service: c.name ?? 'product-service',
        ...(c.traffic ? { traffic: c.traffic } : {}),
      })),
      interval: '10s',
    });
    let fleet: Fleet | undefined;
    try {
      bot = await startHarness(typeof options.config === 'function' ? options.config(env) : options.config);
      const hooksUrl = await hooks.start();
      fleet = new Fleet(env, bot, hooks, specs);
      const f = fleet;
      f.watcher = setInterval(() => {
        for (const c of f.canaries) {
          void c.status().catch(() => undefined);
          void c.routes().catch(() => undefined);
        }
      }, 1000);
      // all settled, so that none still polls a stopped apiserver when one fails
      const started = await Promise.allSettled(
        specs.map(async (c, i) => {
          const name = c.name ?? 'product-service';
          await env.cluster.admin.apply(manifests.namespace(c.namespace));
          await env.cluster.admin.apply(manifests.deployment(c.namespace, name, c.image));
          await env.cluster.admin.apply(
            manifests.canary({
              namespace: c.namespace,
              name,
              botUrl: hooksUrl,
              token: FLAGGER_TOKEN,
              interval: '10s',
              ...c.analysis,
            }),
          );
          await f.canaries[i]?.waitForPhase('Initialized', 180_000);
        }),
      );
      const failed = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      if (failed.length) throw new Error(failed.map((e) => e.message).join('\n\n'));
      return f;
    } catch (error) {
      if (fleet) await fleet.stop();
      else {
        await env.stop();
        await hooks.stop();
        await bot?.stop();
      }
      throw error;
    }
  }

  /** Flagger first, so that it calls no webhook of a bot that is gone. */
  async stop(): Promise<void> {
    clearInterval(this.watcher);
    await this.env.stop();
    await this.hooks.stop();
    await this.bot.stop();
    if (process.env.E2E_KEEP !== '1') rmSync(this.bot.dataDir, { recursive: true, force: true });
  }

  /** The handle of the Canary in `namespace` (and `name`, when a namespace holds several). */
  canary(namespace: string, name?: string): FleetHandle {
    const c = this.canaries.find((x) => x.namespace === namespace && (!name || x.name === name));
    if (!c) throw new Error(`no Canary ${namespace}/${name ?? '*'} in this fleet`);
    return c;
  }

  /** The bot harness: h.click, h.submitView, h.bot. */
  get h(): Harness {
    return this.bot;
  }

  get slack(): FakeSlack {
    return this.bot.slack;
  }

  get admin(): KubeClient {
    return this.env.cluster.admin;
  }
}

/** One Canary of a fleet, as a scenario drives and reads it. */
export class FleetHandle {
  /** every phase the Canary went through, as sampled every second and at each poll */
  readonly phases: string[] = [];
  /** every routing the VirtualService had (each change once), as sampled every second and at each read */
  readonly routeHistory: Routes[] = [];
  last: CanaryStatus = {};
  private reading: Promise<unknown> = Promise.resolve();

  constructor(
    readonly fleet: Fleet,
    readonly namespace: string,
    readonly name: string,
    readonly traffic: TrafficSimulator,
  ) {}

  /** `namespace/name`, as the bot's config and Slack name the service */
  get service(): string {
    return `${this.namespace}/${this.name}`;
  }

  get canaryPath(): string {
    return `/apis/flagger.app/v1beta1/namespaces/${this.namespace}/canaries/${this.name}`;
  }

  async status(): Promise<CanaryStatus> {
    this.last = (await this.fleet.admin.get<{ status?: CanaryStatus }>(this.canaryPath)).status ?? {};
    const phase = this.last.phase ?? '(none)';
    if (this.phases.at(-1) !== phase) this.phases.push(phase);
    return this.last;
  }

  /** Live weights of the VirtualService (Routes); reads one at a time, so that the history keeps their order. */
  async routes(): Promise<Routes> {
    const read = this.reading.then(() => readRoutes(this.fleet.admin, this.namespace, this.name));
    this.reading = read.catch(() => undefined);
    const routes = await read;
    if (JSON.stringify(this.routeHistory.at(-1)) !== JSON.stringify(routes)) this.routeHistory.push(routes);
    return routes;
  }

  image(name: string): Promise<string | undefined> {
    return readImage(this.fleet.admin, this.namespace, name);
  }

  replicas(name: string): Promise<number> {
    return readReplicas(this.fleet.admin, this.namespace, name);
  }

  deploy(image: string): Promise<void> {
    return setImage(this.fleet.admin, this.namespace, this.name, image);
  }

  /** This Canary's webhook calls, oldest first. */
  hooks(): HookCall[] {
    return this.fleet.hooks.calls.filter((c) => c.namespace === this.namespace && c.name === this.name);
  }

  of(hook: string): HookCall[] {
    return this.hooks().filter((c) => c.hook === hook);
  }

  /** The messages of the events Flagger sent for this Canary, in order. */
  events(from = 0): string[] {
    return this.hooks()
      .slice(from)
      .flatMap((c) => (c.hook === 'event' && c.message ? [c.message] : []));
  }

  diagnosis = (): string => {
    const mine = this.hooks()
      .slice(-25)
      .map(
        (c) =>
          `${new Date(c.at).toISOString().slice(11, 19)} ${c.hook} ${c.phase} -> ${c.status} ` +
          (c.message ? `[${c.message.slice(0, 80)}] ` : '') +
          c.answer.trim().slice(0, 90),
      )
      .join('\n');
    return (
      `${this.service}: canary status ${JSON.stringify(this.last)}; phases ${this.phases.join(' -> ')}\n` +
      `webhooks:\n${mine}\nslack: ${this.fleet.slack.texts().slice(-8).join(' | ')}\n${this.fleet.env.logs(20)}`
    );
  };

  waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions = {}): Promise<T> {
    return waitFor(`${this.service}: ${what}`, probe, { describe: this.diagnosis, ...options });
  }

  waitForPhase(phase: string, timeoutMs: number): Promise<true> {
    return this.waitFor(
      `Canary phase ${phase}`,
      async () => ((await this.status()).phase === phase ? true : undefined),
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** Polls `until`, failing at once when `invariant` reports a violation (a sentence). */
  async holdWhile<T>(
    what: string,
    invariant: () => Promise<string | undefined>,
    until: () => Promise<T | undefined>,
    { timeoutMs = 120_000, intervalMs = 1000 }: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const violation = await invariant();
      if (violation) throw new Error(`${this.service}: ${what}: ${violation}\n${this.diagnosis()}`);
      const value = await until();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${this.diagnosis()}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Approval requests posted in this service's threads, oldest first. */
  requests(): SlackCall[] {
    return requestsOf(this.fleet.slack, this.service);
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

  thread(release: number): Thread | undefined {
    return threadOf(this.fleet.slack, release, this.service);
  }

  threadText(release: number): ThreadText {
    return threadTextOf(this.fleet.slack, release, this.service);
  }

  waitForThread(
    release: number,
    what: string,
    check: (text: ThreadText) => boolean,
    timeoutMs = 30_000,
  ): Promise<ThreadText> {
    return this.waitFor(
      `release #${release}'s thread: ${what}`,
      async () => {
        await this.fleet.h.bot.queue.drain();
        const text = this.threadText(release);
        return check(text) ? text : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  }
}
