import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A plain-HTTP door to the real kube-apiserver that a test can close and reopen on the same port (the bot sees
 * "connection refused", as when the apiserver restarts) and that can run something just before a request goes
 * through (a concurrent writer that bumps an object's resourceVersion between the bot's read and its write). It
 * forwards with the bot's own client certificate, so the apiserver authenticates and authorizes the bot as usual.
 */
export class ApiserverProxy {
  private server?: Server;
  private port = 0;
  /** runs before a matching request is forwarded, once; the request waits for it */
  private hooks: { method: string; path: RegExp; run: () => Promise<void> }[] = [];
  readonly seen: string[] = [];

  constructor(private readonly kubeconfigFile: string) {}

  private credentials() {
    const config = JSON.parse(readFileSync(this.kubeconfigFile, 'utf8'));
    const b = (text: string) => Buffer.from(text, 'base64');
    return {
      server: new URL(config.clusters[0].cluster.server as string),
      ca: b(config.clusters[0].cluster['certificate-authority-data']),
      cert: b(config.users[0].user['client-certificate-data']),
      key: b(config.users[0].user['client-key-data']),
    };
  }

  /** A kubeconfig for the bot through this proxy (no TLS between the bot and the proxy). */
  kubeconfig(): string {
    const config = JSON.parse(readFileSync(this.kubeconfigFile, 'utf8'));
    // client-node refuses plain HTTP unless told TLS is not verified: there is no TLS on this loopback hop
    config.clusters[0].cluster = { server: `http://127.0.0.1:${this.port}`, 'insecure-skip-tls-verify': true };
    return JSON.stringify(config);
  }

  before(method: string, path: RegExp, run: () => Promise<void>): void {
    this.hooks.push({ method, path, run });
  }

  async start(): Promise<void> {
    const creds = this.credentials();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void this.forward(req, res, creds);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting and drops open connections: the next request is refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse, creds: ReturnType<ApiserverProxy['credentials']>) {
    const path = req.url ?? '/';
    this.seen.push(`${req.method} ${path}`);
    const hook = this.hooks.find((h) => h.method === req.method && h.path.test(path));
    if (hook) {
      this.hooks = this.hooks.filter((h) => h !== hook);
      await hook.run();
    }
    const upstream = request(
      {
        host: creds.server.hostname,
        port: creds.server.port,
        method: req.method,
        path,
        headers: { ...req.headers, host: creds.server.host },
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
