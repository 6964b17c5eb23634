import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  result: Record<string, unknown>;
}

/**
 * A fake Slack Web API on loopback: answers the methods the bot calls the way Slack does, and records each call
 * with its arguments decoded (blocks parsed back to JSON) so tests can read what a person would see.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** user-group ID -> member user IDs, for usergroups.users.list */
  readonly groups = new Map<string, string[]>();
  private server?: Server;
  private counter = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
        const args = decode(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'] ?? '');
        const result = this.answer(method, args);
        this.calls.push({ method, args, result });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  called(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every text a person would read in the channel, in order: posts and edits. */
  texts(): string[] {
    return this.calls.filter((c) => c.method.startsWith('chat.')).map((c) => String(c.args.text));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const ts = `1700000000.${String(++this.counter).padStart(6, '0')}`;
    switch (method) {
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts, message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts };
      case 'views.open':
        return { ok: true, view: { id: `V${this.counter}` } };
      case 'usergroups.users.list':
        return { ok: true, users: this.groups.get(String(args.usergroup)) ?? [] };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function decode(body: string, contentType: string): Record<string, unknown> {
  const raw: Record<string, unknown> = contentType.includes('json')
    ? (JSON.parse(body || '{}') as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(body));
  for (const key of ['blocks', 'view']) {
    if (typeof raw[key] === 'string') raw[key] = JSON.parse(raw[key] as string);
  }
  return raw;
}
