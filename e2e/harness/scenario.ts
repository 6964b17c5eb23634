import { rmSync } from 'node:fs';
import { ACTIONS } from '../../shared/slack/blocks';
import { FLAGGER_TOKEN, type Harness, startHarness } from '../../test/support/bot';
import type { FakeSlack, SlackCall } from '../../test/support/fake-slack';
import { HookRecorder } from './hook-recorder';
import { type Environment, startEnvironment } from './index';
import type { KubeClient } from './kube';
import * as manifests from './manifests';
import { type WaitOptions, waitFor } from './processes';

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
}

export interface CanaryStatus {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
}

export interface Routes {
  primary: number;
  canary: number;
}

interface DeploymentObject {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
}

interface VirtualServiceObject {
  spec?: { http?: { route?: { destination: { host: string }; weight?: number }[] }[] };
}

/** A thread in the fake Slack: the status message (edited in place) and its replies, each with its edits. */
export interface Thread {
  root: SlackCall;
  /** the root's edits, oldest first */
  updates: SlackCall[];
  replies: { post: SlackCall; updates: SlackCall[] }[];
}

export class Scenario {
  readonly namespace: string;
  readonly name: string;
  /** every phase the Canary went through, as sampled every second and at each poll */
  readonly phases: string[] = [];
  last: CanaryStatus = {};
  private readonly stamps = new WeakMap<SlackCall, number>();
  private watcher?: NodeJS.Timeout;

  private constructor(
    readonly env: Environment,
    private bot: Harness,
    readonly hooks: HookRecorder,
    readonly options: ScenarioOptions,
  ) {
    this.namespace = options.namespace ?? 'production';
    this.name = options.name ?? 'product-service';
    this.stampSlackCalls(bot.slack);
  }

  /**
   * Starts everything and applies the namespace, the Deployment (first image) and the Canary, then waits until
   * Flagger has Initialized it. Whatever was started is stopped again when starting fails.
   */
  static async start(options: ScenarioOptions): Promise<Scenario> {
    const namespace = options.namespace ?? 'production';
    const name = options.name ?? 'product-service';
    const interval = options.interval ?? '10s';
    const env = await startEnvironment({ namespace, service: name, interval: '10s' });
    let bot: Harness | undefined;
    let scenario: Scenario | undefined;
    const hooks = new HookRecorder(() => {
      if (!bot) throw new Error('bot not started');
      // a getter: after h.restart() this is the new server's URL
      return bot.bot.url;
    });
    try {
      bot = await startHarness(typeof options.config === 'function' ? options.config(env) : options.config);
      const botUrl = await hooks.start();
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
          botUrl,
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

  /** Live weights of the VirtualService Flagger manages (its default route), as Istio would route. */
  async routes(): Promise<Routes> {
    const vs = await this.admin.get<VirtualServiceObject>(
      `/apis/networking.istio.io/v1beta1/namespaces/${this.namespace}/virtualservices/${this.name}`,
    );
    const route = vs.spec?.http?.at(-1)?.route ?? [];
    const weightOf = (host: string) =>
      route.filter((r) => r.destination.host.split('.')[0] === host).reduce((sum, r) => sum + (r.weight ?? 0), 0);
    return { primary: weightOf(`${this.name}-primary`), canary: weightOf(`${this.name}-canary`) };
  }

  private deployment(name: string): Promise<DeploymentObject> {
    return this.admin.get<DeploymentObject>(`/apis/apps/v1/namespaces/${this.namespace}/deployments/${name}`);
  }

  async image(name: string): Promise<string | undefined> {
    return (await this.deployment(name)).spec.template.spec.containers[0]?.image;
  }

  async replicas(name: string): Promise<number> {
    return (await this.deployment(name)).spec.replicas ?? 1;
  }

  /**
   * A new revision: `kubectl set image` on the target Deployment (a strategic merge patch of the container's
   * image). Only the image changes: re-applying the whole manifest would also set `replicas` again and scale up
   * the canary that Flagger keeps at 0 between releases.
   */
  async deploy(image: string): Promise<void> {
    await this.admin.call(
      'PATCH',
      `/apis/apps/v1/namespaces/${this.namespace}/deployments/${this.name}`,
      { spec: { template: { spec: { containers: [{ name: this.name, image }] } } } },
      'application/strategic-merge-patch+json',
    );
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
    return this.slack
      .called('chat.postMessage')
      .filter((p) => p.args.thread_ts && buttonsOf(p).includes(ACTIONS.approve));
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
    const posts = this.slack.called('chat.postMessage');
    const updates = this.slack.called('chat.update');
    const editsOf = (call: SlackCall) => updates.filter((u) => u.args.ts === call.result.ts);
    return posts
      .filter((p) => !p.args.thread_ts)
      .map((root) => ({
        root,
        updates: editsOf(root),
        replies: posts
          .filter((p) => p.args.thread_ts === root.result.ts)
          .map((post) => ({ post, updates: editsOf(post) })),
      }));
  }

  /** The thread of release #n, found by its status message. */
  thread(release: number): Thread | undefined {
    return this.threads().find((t) => String(t.root.args.text).includes(`release #${release}:`));
  }

  /** The status message's text as it reads now, and the replies' texts as posted. */
  threadText(release: number): { status: string; replies: string[] } {
    const t = this.thread(release);
    if (!t) return { status: '', replies: [] };
    return {
      status: String((t.updates.at(-1) ?? t.root).args.text),
      replies: t.replies.map((r) => String(r.post.args.text)),
    };
  }

  /** Waits until the worker has caught up and release #n's thread passes `check`. */
  waitForThread(
    release: number,
    what: string,
    check: (text: { status: string; replies: string[] }) => boolean,
    timeoutMs = 30_000,
  ): Promise<{ status: string; replies: string[] }> {
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
    return this.slack
      .called('chat.postEphemeral')
      .filter((c) => c.args.user === user)
      .map((c) => String(c.args.text));
  }

  /** The fake Slack records no times: stamp each call as it is recorded. */
  private stampSlackCalls(slack: FakeSlack): void {
    const calls = slack.calls;
    const push = calls.push.bind(calls);
    calls.push = (...items: SlackCall[]) => {
      const now = Date.now();
      for (const item of items) this.stamps.set(item, now);
      return push(...items);
    };
  }
}

/** The action IDs of a message's buttons. */
export function buttonsOf(call: SlackCall): string[] {
  const blocks = (call.args.blocks ?? []) as { elements?: { action_id?: string }[] }[];
  return blocks.flatMap((b) => b.elements ?? []).flatMap((e) => (e.action_id ? [e.action_id] : []));
}

/** The value of `action`'s button in one message (an approval request). */
export function buttonOf(call: SlackCall, action: string): string {
  const blocks = (call.args.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
  const value = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === action)?.value;
  if (!value) throw new Error(`no ${action} button in ${String(call.args.text)}`);
  return value;
}

/** Slack markup as a person reads it: <@U1> -> @U1, <!date^...|fallback> -> fallback, <url|label> -> label. */
export function plainText(mrkdwn: string): string {
  return mrkdwn
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)(\|([^>]*))?>/g, (_m, id: string, _l, label?: string) => label ?? `@${id}`)
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(\|([^>]*))?>/g, (_m, id: string, _l, label?: string) => `#${label ?? id}`)
    .replace(/<([^>|]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A message's Block Kit as a reader sees it (sections, context lines, buttons), or its text without blocks. */
export function readable(call: SlackCall): string {
  const blocks = (call.args.blocks ?? []) as {
    type: string;
    text?: { text?: string };
    elements?: { type?: string; text?: string | { text?: string } }[];
    fields?: { text?: string }[];
  }[];
  if (!blocks.length) return plainText(String(call.args.text ?? ''));
  const lines = blocks.flatMap((b) => {
    switch (b.type) {
      case 'section':
        return [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text ?? '')].filter(Boolean);
      case 'context':
        return [(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')).join(' · ')];
      case 'actions':
        return [(b.elements ?? []).map((e) => `[${typeof e.text === 'object' ? e.text?.text : ''}]`).join(' ')];
      case 'image':
        return ['[image]'];
      default:
        return [];
    }
  });
  return plainText(lines.join('\n'));
}

/**
 * The bot configuration of the scenarios: production/product-service approved by U0APPROVER1, with automatic start
 * and traffic steps and a manual promotion unless told otherwise. With `prometheus`, the bot also takes metric
 * snapshots (status table, numbers and chart on the approval request).
 */
export function botConfig(
  options: {
    prometheus?: string;
    stepWeight?: number;
    maxWeight?: number;
    confirmRollout?: 'auto' | 'manual';
    confirmPromotion?: 'auto' | 'manual';
  } = {},
) {
  return `
${options.prometheus ? `prometheus: { url: "${options.prometheus}", timeout: 2s }\n` : ''}services:
  production/product-service:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1] }
    gates:
      confirm-rollout: ${options.confirmRollout ?? 'auto'}
      confirm-traffic-increase: auto
      confirm-promotion: ${options.confirmPromotion ?? 'manual'}
    analysis: { stepWeight: ${options.stepWeight ?? 10}, maxWeight: ${options.maxWeight ?? 50} }
`;
}
