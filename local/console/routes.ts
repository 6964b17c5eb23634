import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sameSecret } from '../../shared/http/flagger-edge';
import { type ActTarget, act, actSchema } from './act';
import type { ConsoleState } from './page/protocol';
import type { Workspace } from './workspace';

/**
 * The chat console's HTTP routes on the local server: the page, its script, the workspace as JSON, its changes as
 * server-sent events, and the acts. Only for a server on loopback: whoever can act here can approve as anyone.
 * Every request must name this server as its Host (a DNS-rebinding page cannot), every act carries the token this
 * start put into the page and is JSON (a form on another site can send neither), and the page's CSP allows only
 * its own script.
 */
export interface ConsoleRoutes {
  /** True when the request was the console's (answered); false to let the server route it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  token: string;
}

export interface ConsoleOptions {
  workspace: Workspace;
  /** Known once the server listens. */
  target: () => ActTarget & { port: number };
  /** Who the page offers to act as: the configured approvers, someone not allowed, and the deployers seen. */
  users: () => { id: string; label: string }[];
  channels: () => string[];
  script: () => Promise<string>;
  /** At most this many pages listen at once (each holds a socket open). */
  maxListeners?: number;
}

const MAX_ACT_BYTES = 16 * 1024;
const HEARTBEAT_MS = 15_000;

export function consoleRoutes(options: ConsoleOptions): ConsoleRoutes {
  const token = randomBytes(16).toString('hex');
  const page = readFileSync(join(__dirname, 'page', 'index.html'), 'utf8');
  const style = readFileSync(join(__dirname, 'page', 'console.css'), 'utf8');
  let listeners = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://console');
    if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return false;
    const { port } = options.target();
    if (!loopbackHost(req.headers.host, port)) {
      answer(res, 403, 'The chat console answers only to http://127.0.0.1 or http://localhost on this port.');
      return true;
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /console') {
      send(res, 200, 'text/html; charset=utf-8', page.replace('{{token}}', token));
      return true;
    }
    if (route === 'GET /console/console.css') {
      send(res, 200, 'text/css; charset=utf-8', style);
      return true;
    }
    if (route === 'GET /console/app.js') {
      options.script().then(
        (script) => send(res, 200, 'text/javascript; charset=utf-8', script),
        (error: unknown) => answer(res, 500, `The console page's script could not be built: ${String(error)}`),
      );
      return true;
    }
    // Everything else reads or changes the workspace: the page's token, in a header or (EventSource, img) the query.
    if (!sameSecret(String(req.headers['x-console-token'] ?? url.searchParams.get('token') ?? ''), token)) {
      answer(res, 401, 'Open the console from the link npm start printed: this request has no valid console token.');
      return true;
    }
    if (route === 'GET /console/state') {
      const state: ConsoleState = {
        ...options.workspace.snapshot(),
        users: options.users(),
        channels: options.channels(),
      };
      json(res, 200, state);
    } else if (route === 'GET /console/events') {
      if (listeners >= (options.maxListeners ?? 20)) answer(res, 429, 'Too many console pages are open; close one.');
      else stream(req, res);
    } else if (req.method === 'GET' && url.pathname.startsWith('/console/files/')) {
      const content = options.workspace.fileContent(url.pathname.slice('/console/files/'.length));
      if (content) send(res, 200, 'image/png', content);
      else answer(res, 404, 'That file is no longer kept (the console keeps the newest files only).');
    } else if (route === 'POST /console/act') {
      void acting(req, res);
    } else {
      answer(res, 404, 'The console has /console, /console/state, /console/events and POST /console/act.');
    }
    return true;
  };

  const stream = (req: IncomingMessage, res: ServerResponse) => {
    listeners++;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    const stop = options.workspace.onChange((change) => res.write(`data: ${JSON.stringify(change)}\n\n`));
    const beat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    req.socket.on('close', () => {
      listeners--;
      stop();
      clearInterval(beat);
    });
  };

  const acting = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !loopbackOrigin(origin, options.target().port))
      return answer(res, 403, 'Acts come from the console page itself, not from another site.');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
      return answer(res, 415, 'An act is a JSON body (Content-Type: application/json).');
    const body = await readBody(req);
    if (body === undefined) return answer(res, 413, `An act is at most ${MAX_ACT_BYTES} bytes.`);
    let parsed: ReturnType<typeof actSchema.safeParse>;
    try {
      parsed = actSchema.safeParse(JSON.parse(body));
    } catch {
      return answer(res, 400, 'The act is not JSON.');
    }
    if (!parsed.success)
      return answer(
        res,
        400,
        `The act is malformed (${parsed.error.issues.map((i) => `${i.path.join('.') || 'act'}: ${i.message}`).join('; ')}).`,
      );
    try {
      json(res, 200, await act(options.target(), parsed.data));
    } catch (error) {
      answer(res, 502, `The bot could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  return { handle, token };
}

/** `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`: what a browser on this machine sends. */
function loopbackHost(host: string | undefined, port: number): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].some((name) => host === `${name}:${port}`);
}

const loopbackOrigin = (origin: string, port: number) => loopbackHost(origin.replace(/^http:\/\//, ''), port);

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ACT_BYTES) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
const answer = (res: ServerResponse, status: number, sentence: string) =>
  send(res, status, 'text/plain; charset=utf-8', `${sentence}\n`);
