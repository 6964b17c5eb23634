import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Lambda extensions the functions read secrets and configuration from, on loopback: the AWS Parameters and
 * Secrets extension's `GET /secretsmanager/get?secretId=` (refused without the session token, as the real one does)
 * and the AWS AppConfig agent's `GET /applications/{a}/environments/{e}/configurations/{p}`. Point a function at it
 * with PARAMETERS_SECRETS_EXTENSION_HTTP_PORT and AWS_APPCONFIG_EXTENSION_HTTP_PORT set to `port`.
 */
export class FakeExtensions {
  readonly secrets = new Map<string, string>();
  /** The configuration each `<application>/<environment>/<profile>` serves now. */
  readonly configs = new Map<string, string>();
  /** What was asked, in order: `secret <arn>`, `configuration <locator>`. */
  readonly calls: string[] = [];
  /** While true every request gets a 503, as from an extension that cannot reach AWS. */
  down = false;
  /** The AWS_SESSION_TOKEN a function must send. */
  readonly sessionToken = randomUUID();
  private server?: Server;

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (this.down) return answer(res, 503, 'the extension cannot reach AWS');
      if (req.method === 'GET' && url.pathname === '/secretsmanager/get') {
        return this.secret(url.searchParams.get('secretId') ?? '', req.headers, res);
      }
      const config = /^\/applications\/([^/]+)\/environments\/([^/]+)\/configurations\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && config) return this.configuration(config.slice(1).map(decodeURIComponent), res);
      answer(res, 404, `no route for ${req.method} ${url.pathname}`);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private secret(id: string, headers: import('node:http').IncomingHttpHeaders, res: ServerResponse): void {
    if (headers['x-aws-parameters-secrets-token'] !== this.sessionToken) {
      answer(res, 401, 'X-Aws-Parameters-Secrets-Token is missing or wrong');
      return;
    }
    this.calls.push(`secret ${id}`);
    const value = this.secrets.get(id);
    if (value === undefined) {
      answer(res, 400, `ResourceNotFoundException: Secrets Manager can't find ${id}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ARN: id, Name: id, SecretString: value, VersionId: randomUUID() }));
  }

  private configuration(parts: string[], res: ServerResponse): void {
    const key = parts.join('/');
    this.calls.push(`configuration ${key}`);
    const value = this.configs.get(key);
    if (value === undefined) {
      answer(res, 404, `ResourceNotFoundException: no deployed configuration ${key}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-yaml', 'configuration-version': '1' });
    res.end(value);
  }
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(message);
}
