import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface HookCall {
  /** the path after /flagger/, e.g. confirm-promotion */
  hook: string;
  /** the Canary's namespace and name, from Flagger's payload */
  namespace: string;
  name: string;
  phase: string;
  checksum: string;
  status: number;
  answer: string;
  /** when the bot's answer came back (ms since the epoch) */
  at: number;
  /** when Flagger's call reached the recorder, one loopback hop before the bot (ms since the epoch) */
  receivedAt: number;
  /** how long the bot took to answer, as the recorder measured it (ms, with sub-ms precision) */
  latencyMs: number;
  /** an event hook's `metadata.eventMessage` (what Flagger recorded as a Kubernetes event) */
  message?: string;
}

/**
 * A loopback pass-through between Flagger and the bot that records each webhook call and the bot's answer.
 * Flagger logs neither refused confirm hooks after the first nor their answers, so this is how a test sees
 * "the promotion was refused at each check until the click".
 */
export class HookRecorder {
  readonly calls: HookCall[] = [];
  private server?: Server;

  constructor(private readonly target: () => string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const receivedAt = Date.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let status = 502;
        let answer = '';
        const sent = performance.now();
        try {
          const upstream = await fetch(`${this.target()}${req.url ?? ''}`, {
            method: req.method ?? 'POST',
            headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
            ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
          });
          status = upstream.status;
          answer = await upstream.text();
        } catch (error) {
          answer = `hook recorder: the bot is unreachable: ${(error as Error).message}`;
        }
        const latencyMs = performance.now() - sent;
        const payload = parse(body);
        const metadata = (payload.metadata ?? {}) as Record<string, unknown>;
        this.calls.push({
          hook: (req.url ?? '').replace(/^\/flagger\//, '').split('?')[0] ?? '',
          namespace: String(payload.namespace ?? ''),
          name: String(payload.name ?? ''),
          phase: String(payload.phase ?? ''),
          checksum: String(payload.checksum ?? ''),
          status,
          answer,
          at: Date.now(),
          receivedAt,
          latencyMs,
          ...(typeof metadata.eventMessage === 'string' ? { message: metadata.eventMessage } : {}),
        });
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  of(hook: string): HookCall[] {
    return this.calls.filter((c) => c.hook === hook);
  }

  /** The messages of the events Flagger sent so far, in order. */
  events(): string[] {
    return this.calls.flatMap((c) => (c.hook === 'event' && c.message ? [c.message] : []));
  }

  /** One line per call, for failure messages. */
  summary(last = 15): string {
    return this.calls
      .slice(-last)
      .map(
        (c) =>
          `${new Date(c.at).toISOString().slice(11, 19)} ${c.hook} ${c.phase} -> ${c.status} ` +
          (c.message ? `[${c.message.slice(0, 80)}] ` : '') +
          c.answer.trim().slice(0, 90),
      )
      .join('\n');
  }
}

function parse(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * Webhook calls as one compact line each: `hook(phase)` as Flagger's payload says, `=403` when the bot refused, and
 * consecutive repeats collapsed (`×3` unless `counts: false`).
 */
export function hookSequence(calls: HookCall[], { counts = true }: { counts?: boolean } = {}): string[] {
  const out: { token: string; n: number }[] = [];
  for (const c of calls) {
    const token = `${c.hook}(${c.phase})${c.status >= 300 ? `=${c.status}` : ''}`;
    const last = out.at(-1);
    if (last?.token === token) last.n++;
    else out.push({ token, n: 1 });
  }
  return out.map(({ token, n }) => (counts && n > 1 ? `${token}×${n}` : token));
}

/**
 * Webhook calls grouped by Flagger's tick (calls less than `gapMs` apart), one tick as `hook(phase)` tokens with its
 * events folded into one `event`, and consecutive identical ticks collapsed: `rollback(Progressing)=403 event ×3`.
 * The ticks are joined with ` | `: which hooks a strategy calls, in which phase, and in which order.
 */
export function hookTicks(calls: HookCall[], gapMs = 3000): string {
  const ticks: HookCall[][] = [];
  for (const c of calls) {
    const tick = ticks.at(-1);
    const previous = tick?.at(-1);
    if (tick && previous && c.receivedAt - previous.receivedAt < gapMs) tick.push(c);
    else ticks.push([c]);
  }
  const rendered = ticks.map((tick) =>
    hookSequence(tick, { counts: false })
      .map((t) => (t.startsWith('event(') ? 'event' : t))
      .filter((t, i, all) => !(t === 'event' && all[i - 1] === 'event'))
      .join(' '),
  );
  const out: { tick: string; n: number }[] = [];
  for (const tick of rendered) {
    const last = out.at(-1);
    if (last?.tick === tick) last.n++;
    else out.push({ tick, n: 1 });
  }
  return out.map(({ tick, n }) => (n > 1 ? `${tick} ×${n}` : tick)).join(' | ');
}
