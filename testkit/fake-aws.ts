import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * AWS where the functions meet it at run time, on loopback: Secrets Manager's GetSecretValue (JSON 1.1) and
 * AppConfigData's session and configuration calls (REST), so the real Powertools and SDK code paths run. Point the
 * SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_APPCONFIGDATA.
 */
export class FakeAws {
  readonly secrets = new Map<string, string>();
  /** The configuration each `<application>/<environment>/<profile>` serves now. */
  readonly configs = new Map<string, string>();
  readonly calls: string[] = [];
  private readonly sessions = new Map<string, string>();
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://localhost');
        const target = String(req.headers['x-amz-target'] ?? '');
        if (target === 'secretsmanager.GetSecretValue') return this.getSecret(JSON.parse(body).SecretId, res);
        if (req.method === 'POST' && url.pathname === '/configurationsessions') return this.startSession(body, res);
        if (req.method === 'GET' && url.pathname === '/configuration') {
          return this.configuration(url.searchParams.get('configuration_token') ?? '', res);
        }
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `FakeAws does not serve ${req.method} ${url.pathname} ${target}` }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private getSecret(id: string, res: import('node:http').ServerResponse): void {
    this.calls.push(`GetSecretValue ${id}`);
    const value = this.secrets.get(id);
    const type = 'application/x-amz-json-1.1';
    if (value === undefined) {
      res.writeHead(400, { 'content-type': type });
      res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `Secrets Manager can't find ${id}` }));
      return;
    }
    res.writeHead(200, { 'content-type': type });
    res.end(JSON.stringify({ ARN: id, Name: id, SecretString: value, VersionId: randomUUID(), CreatedDate: 0 }));
  }

  private startSession(body: string, res: import('node:http').ServerResponse): void {
    const input = JSON.parse(body) as Record<string, string>;
    const key = [input.ApplicationIdentifier, input.EnvironmentIdentifier, input.ConfigurationProfileIdentifier].join(
      '/',
    );
    this.calls.push(`StartConfigurationSession ${key}`);
    const token = randomUUID();
    this.sessions.set(token, key);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ InitialConfigurationToken: token }));
  }

  private configuration(token: string, res: import('node:http').ServerResponse): void {
    const key = this.sessions.get(token);
    this.calls.push(`GetLatestConfiguration ${key}`);
    const next = randomUUID();
    if (key) this.sessions.set(next, key);
    res.writeHead(200, {
      'content-type': 'application/x-yaml',
      'next-poll-configuration-token': next,
      'next-poll-interval-in-seconds': '15',
      'version-label': '1',
    });
    res.end(key ? (this.configs.get(key) ?? '') : '');
  }
}
