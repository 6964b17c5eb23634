import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, text } from '../shared/http/responses';

/** Larger bodies are cut off before they are read whole; each route applies its own smaller limit. */
const READ_LIMIT = 1024 * 1024;

/** Reads a Node request into the API Gateway v2 event that the Lambda handlers take, so both runtimes share them. */
export async function toLambdaEvent(req: IncomingMessage): Promise<APIGatewayProxyEventV2 | HttpResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > READ_LIMIT) return text(413, `The request is larger than ${READ_LIMIT} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v]),
  );
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.fromEntries(url.searchParams),
    requestContext: {
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      timeEpoch: Date.now(),
    } as APIGatewayProxyEventV2['requestContext'],
    body: Buffer.concat(chunks).toString('utf8'),
    isBase64Encoded: false,
  };
}

export function send(res: ServerResponse, result: HttpResult): void {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  res.writeHead(result.statusCode, headers);
  res.end(result.body);
}
