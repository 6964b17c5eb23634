import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sameSecret } from '../../shared/http/flagger-edge';
import type { Workspace } from './workspace';

/**
 * The Slack Web API methods release-bot calls, answered from the console's Workspace on a loopback port, so the bot
 * runs its real WebClient (SlackChat, and Bolt's client for dialogs) with no Slack workspace. Calls need the bot
 * token this start made; anything else is answered as Slack would (`not_authed`, `unknown_method`).
 */
export interface WebApi {
  /** For `new WebClient(token, { slackApiUrl })`. */
  url: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/** Slack takes files up to 1 GB; the bot uploads charts of a few kilobytes. */
const MAX_UPLOAD = 8 * 1024 * 1024;

interface PendingUpload {
  filename: string;
  altText: string;
  secret: string;
  content?: Buffer;
}

export async function startWebApi(workspace: Workspace): Promise<WebApi> {
  const token = `xoxb-console-${randomBytes(12).toString('hex')}`;
  const pending = new Map<string, PendingUpload>();
  let origin = '';

  const call = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const channel = String(args.channel ?? '');
    const text = String(args.text ?? '');
    const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
    switch (method) {
      case 'auth.test':
        return { ok: true, team: 'Chat console', user: 'release-bot', team_id: 'T0TEAM0001', bot_id: 'B0RELEASEBOT' };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const threadTs = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
        const posted = workspace.post({
          channel,
          text,
          ...(blocks ? { blocks } : {}),
          ...(threadTs ? { threadTs } : {}),
        });
        return { ok: true, channel, ts: posted.ts, message: { text } };
      }
      case 'chat.update':
        return workspace.update(channel, String(args.ts ?? ''), { text, ...(blocks ? { blocks } : {}) })
          ? { ok: true, channel, ts: args.ts, text }
          : { ok: false, error: 'message_not_found' };
      case 'chat.postEphemeral': {
        const user = String(args.user ?? '');
        if (!channel || !user) return { ok: false, error: 'invalid_arguments' };
        const threadTs = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
        const posted = workspace.post({
          channel,
          text,
          onlyFor: user,
          ...(blocks ? { blocks } : {}),
          ...(threadTs ? { threadTs } : {}),
        });
        return { ok: true, message_ts: posted.ts };
      }
      case 'views.open': {
        const view = args.view;
        if (typeof view !== 'object' || view === null) return { ok: false, error: 'invalid_arguments' };
        const opened = workspace.openView(String(args.trigger_id ?? ''), view as Record<string, unknown>);
        return opened
          ? { ok: true, view: { id: opened.id, ...opened.view } }
          : { ok: false, error: 'expired_trigger_id' };
      }
      case 'usergroups.users.list':
        // The console has no user groups: members of listed users count, as without a Slack token.
        return { ok: true, users: [] };
      case 'files.getUploadURLExternal': {
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        const secret = randomBytes(12).toString('hex');
        pending.set(id, { filename: String(args.filename ?? 'file'), altText: String(args.alt_text ?? ''), secret });
        // Abandoned uploads (the bot crashed between the steps) must not pile up.
        if (pending.size > 50) pending.delete(pending.keys().next().value ?? '');
        return { ok: true, upload_url: `${origin}/upload/${id}/${secret}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (Array.isArray(args.files) ? args.files : []) as { id?: string; title?: string }[];
        const ready = files.map((f) => ({ f, upload: pending.get(String(f.id)) }));
        if (!ready.length || ready.some(({ upload }) => !upload?.content))
          return { ok: false, error: 'invalid_arguments' };
        const shared = ready.map(({ f, upload }) => {
          pending.delete(String(f.id));
          const u = upload as Required<PendingUpload>;
          return workspace.addFile(
            { filename: u.filename, title: f.title ?? u.filename, altText: u.altText },
            u.content,
          );
        });
        if (args.channel_id) {
          const threadTs = typeof args.thread_ts === 'string' && args.thread_ts ? args.thread_ts : undefined;
          workspace.post({
            channel: String(args.channel_id),
            text: String(args.initial_comment ?? ''),
            files: shared,
            ...(threadTs ? { threadTs } : {}),
          });
        }
        return { ok: true, files: shared.map((f) => ({ id: f.id, title: f.title, name: f.filename })) };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const upload = async (path: string, body: Buffer, contentType: string): Promise<string | undefined> => {
    const [, , id = '', secret = ''] = path.split('/');
    const target = pending.get(id);
    if (!target || !sameSecret(secret, target.secret)) return undefined;
    let bytes = body;
    if (contentType.includes('multipart/form-data')) {
      const form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
      const part = [...form.values()].find((v) => typeof v !== 'string');
      if (part === undefined || typeof part === 'string') return undefined;
      bytes = Buffer.from(await part.arrayBuffer());
    }
    target.content = bytes;
    return `OK - ${bytes.length}`;
  };

  const server: Server = createServer((req, res) => {
    void readBody(req, (req.url ?? '').startsWith('/upload/') ? MAX_UPLOAD : MAX_BODY).then(async (body) => {
      if (body === undefined) return reply(res, 413, { ok: false, error: 'request_too_large' });
      const path = (req.url ?? '').split('?')[0] ?? '';
      const contentType = req.headers['content-type'] ?? '';
      if (path.startsWith('/upload/')) {
        const answer = await upload(path, body, contentType).catch(() => undefined);
        res.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' });
        return res.end(answer ?? 'No such upload.');
      }
      const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const args = decodeArgs(body.toString('utf8'), contentType);
      if (!sameSecret(bearer, token) && !sameSecret(String(args?.token ?? ''), token))
        return reply(res, 200, { ok: false, error: 'not_authed' });
      if (!args) return reply(res, 200, { ok: false, error: 'invalid_form_data' });
      reply(res, 200, call(path.replace(/^\/api\//, ''), args));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/api/`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * A Web API call's arguments as Slack reads them, form or JSON, with Block Kit fields parsed back to JSON; undefined
 * when they cannot be read. The tests' fake Slack reads them the same way.
 */
export function decodeArgs(body: string, contentType: string): Record<string, unknown> | undefined {
  try {
    const raw: Record<string, unknown> = contentType.includes('json')
      ? (JSON.parse(body || '{}') as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(body));
    for (const field of ['blocks', 'view', 'files']) {
      if (typeof raw[field] === 'string') raw[field] = JSON.parse(raw[field] as string);
    }
    return raw;
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
