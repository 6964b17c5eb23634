import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HookCall {
  /** the path after /flagger/, e.g. confirm-promotion */
  hook: string;
  phase: string;
  checksum: string;
  status: number;
  answer: string;
  at: number;
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
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let status = 502;
        let answer = '';
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
        const payload = parse(body);
        this.calls.push({
          hook: (req.url ?? '').replace(/^\/flagger\//, '').split('?')[0] ?? '',
          phase: String(payload.phase ?? ''),
          checksum: String(payload.checksum ?? ''),
          status,
          answer,
          at: Date.now(),
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

  /** One line per call, for failure messages. */
  summary(last = 15): string {
    return this.calls
      .slice(-last)
      .map(
        (c) =>
          `${new Date(c.at).toISOString().slice(11, 19)} ${c.hook} ${c.phase} -> ${c.status} ${c.answer.trim().slice(0, 90)}`,
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
