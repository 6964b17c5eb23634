import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, text } from '../shared/http/responses';

/** Larger bodies are cut off before they are read whole; each route applies its own smaller limit. */
const READ_LIMIT = 1024 * 1024;

/** Reads a Node request into the API Gateway v2 event that the Lambda handlers take, so both runtimes share them. */
export async function toLambdaEvent(req: IncomingMessage): Promise<APIGatewayProxyEventV2 | HttpResult> {
  const target = readTarget(req.url ?? '');
  if ('statusCode' in target) return target;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > READ_LIMIT) return text(413, `The request is larger than ${READ_LIMIT} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v]),
  );
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    queryStringParameters: Object.fromEntries(new URLSearchParams(target.query)),
    requestContext: {
      http: {
        method: req.method ?? 'GET',
        path: target.path,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      // As API Gateway gives every request an id: the correlation id of its log lines, and its answer's header.
      requestId: randomUUID(),
      timeEpoch: Date.now(),
    } as APIGatewayProxyEventV2['requestContext'],
    body: Buffer.concat(chunks).toString('utf8'),
    isBase64Encoded: false,
  };
}

/**
 * The path and query of a request target, as API Gateway's rawPath and rawQueryString: not decoded and not
 * normalised, so `//evil/flagger/event` stays that path instead of becoming a URL to host "evil". Absolute-form
 * (`http://host/path`) is accepted as HTTP/1.1 requires of servers; anything else is answered with a sentence.
 */
export function readTarget(raw: string): { path: string; query: string } | HttpResult {
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
  let originForm = raw;
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    if (!/^https?:\/\//i.test(raw) || !URL.canParse(raw)) {
      return text(400, `The request target ${shown} is neither a path (/...) nor a valid http(s) URL.`);
    }
    originForm = raw.replace(/^https?:\/\/[^/?#]*/i, '') || '/';
  }
  if (!originForm.startsWith('/')) {
    return text(400, `The request target ${shown || '(empty)'} is neither a path (/...) nor a valid http(s) URL.`);
  }
  const withoutFragment = originForm.split('#')[0] ?? '';
  const q = withoutFragment.indexOf('?');
  return q < 0
    ? { path: withoutFragment, query: '' }
    : { path: withoutFragment.slice(0, q), query: withoutFragment.slice(q + 1) };
}

export function send(res: ServerResponse, result: HttpResult): void {
  // The client went away, or the server already answered on the socket (a timeout): nothing to write to.
  if (res.writableEnded || res.headersSent || res.socket?.destroyed) return;
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  res.writeHead(result.statusCode, { ...headers, 'content-length': String(Buffer.byteLength(result.body)) });
  res.end(result.body);
}

/** An answer written straight to the socket, for requests Node rejects before there is a ServerResponse. */
export function sendRaw(socket: Duplex, result: HttpResult): void {
  const body = Buffer.from(result.body);
  socket.end(
    `HTTP/1.1 ${result.statusCode} ${STATUS_CODES[result.statusCode] ?? ''}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
}
