import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeArgs } from '../local/console/web-api';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  result: Record<string, unknown>;
}

/** A file shared with files.uploadV2, as the fake saw its three steps. */
export interface FakeUpload {
  fileId: string;
  /** From files.getUploadURLExternal. */
  filename: string;
  length: number;
  altText?: string;
  /** The bytes POSTed to the upload URL (the multipart file part, or the raw body). */
  bytes?: Buffer;
  /** From files.completeUploadExternal. */
  title?: string;
  channel?: string;
  threadTs?: string;
  completed: boolean;
}

/** How the fake misbehaves for one method: answer late, with an HTTP error, or with `ok: false`. */
export interface SlackFault {
  delayMs?: number;
  status?: number;
  error?: string;
}

/**
 * A fake Slack Web API on loopback: answers the methods the bot calls the way Slack does, and records each call
 * with its arguments decoded (blocks parsed back to JSON) so tests can read what a person would see.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** user-group ID -> member user IDs, for usergroups.users.list */
  readonly groups = new Map<string, string[]>();
  /** file ID -> upload, in the order files.getUploadURLExternal handed them out. */
  readonly uploads = new Map<string, FakeUpload>();
  /** method -> fault; methods without one answer at once, as before. */
  readonly faults = new Map<string, SlackFault>();
  private server?: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private counter = 0;
  private origin = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = req.headers['content-type'] ?? '';
        if ((req.url ?? '').startsWith('/upload/')) {
          void this.receiveUpload(req.url ?? '', body, contentType).then(
            (answer) => {
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.end(answer);
            },
            (error: unknown) => {
              res.writeHead(400, { 'content-type': 'text/plain' });
              res.end(String(error));
            },
          );
          return;
        }
        const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
        const args = decodeArgs(body.toString('utf8'), contentType) ?? {};
        const fault = this.faults.get(method);
        const result = fault?.error ? { ok: false, error: fault.error } : this.answer(method, args);
        this.calls.push({ method, args, result });
        const reply = () => {
          if (fault?.status) {
            // Slack says when to retry a rate-limited call.
            const retry = fault.status === 429 ? { 'retry-after': '30' } : {};
            res.writeHead(fault.status, { 'content-type': 'text/plain', ...retry });
            res.end('fake Slack fault');
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(result));
        };
        if (!fault?.delayMs) return reply();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          reply();
        }, fault.delayMs);
        this.timers.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return `${this.origin}/api/`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  called(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Every text a person would read in the channel, in order: posts and edits. */
  texts(): string[] {
    return this.calls.filter((c) => c.method.startsWith('chat.')).map((c) => String(c.args.text));
  }

  /** The bytes of an uploaded file, once they were POSTed to its upload URL. */
  uploaded(fileId: string): Buffer | undefined {
    return this.uploads.get(fileId)?.bytes;
  }

  /** Step 2 of files.uploadV2: the bytes, POSTed to the upload URL (the Web API client sends them as multipart). */
  private async receiveUpload(url: string, body: Buffer, contentType: string): Promise<string> {
    const fileId = url.replace(/^\/upload\//, '').split('?')[0] ?? '';
    const upload = this.uploads.get(fileId);
    if (!upload) throw new Error(`no upload URL was handed out for ${fileId}`);
    let bytes = body;
    if (contentType.includes('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      const part = [...form.values()].find((v) => typeof v !== 'string');
      if (part === undefined || typeof part === 'string') throw new Error('multipart upload without a file part');
      bytes = Buffer.from(await part.arrayBuffer());
    }
    upload.bytes = bytes;
    const result = { ok: true, length: bytes.length };
    this.calls.push({
      method: 'upload',
      args: { file_id: fileId, length: bytes.length, content_type: contentType },
      result,
    });
    return `OK - ${bytes.length}`;
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
      case 'files.getUploadURLExternal': {
        const fileId = `F${String(this.counter).padStart(8, '0')}`;
        this.uploads.set(fileId, {
          fileId,
          filename: String(args.filename),
          length: Number(args.length),
          ...(args.alt_text === undefined ? {} : { altText: String(args.alt_text) }),
          completed: false,
        });
        return { ok: true, upload_url: `${this.origin}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal': {
        const files = (Array.isArray(args.files) ? args.files : []) as { id: string; title?: string }[];
        const unknown = files.find((f) => !this.uploads.get(f.id)?.bytes);
        if (!files.length || unknown) return { ok: false, error: 'invalid_arguments' };
        for (const f of files) {
          const upload = this.uploads.get(f.id) as FakeUpload;
          Object.assign(upload, {
            completed: true,
            ...(f.title === undefined ? {} : { title: f.title }),
            ...(args.channel_id === undefined ? {} : { channel: String(args.channel_id) }),
            ...(args.thread_ts === undefined ? {} : { threadTs: String(args.thread_ts) }),
          });
        }
        return {
          ok: true,
          files: files.map((f) => ({ id: f.id, title: f.title ?? '', name: this.uploads.get(f.id)?.filename })),
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}
