import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assertAlive, type Child, freePort, startChild, waitFor } from './processes';

/** Debian's `prometheus-alertmanager` package (0.25). */
export const ALERTMANAGER_BIN = process.env.E2E_ALERTMANAGER ?? 'prometheus-alertmanager';

/** One alert of a version 4 webhook notification, as Alertmanager sends it. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

/** One notification Alertmanager posted, and what the receiver answered. */
export interface AlertPost {
  path: string;
  /** the Authorization header as sent */
  authorization?: string;
  payload: WebhookPayload;
  status: number;
  answer: string;
  /** when the post reached the recorder (ms since the epoch), one loopback hop before the bot */
  receivedAt: number;
  /** when the answer went back */
  at: number;
  /** how long the receiver behind took to answer (ms, sub-ms precision) */
  latencyMs: number;
}

/**
 * Alertmanager's webhook receiver in the harness: records every notification (with its arrival time, for the
 * benchmark) and passes it on to `<forwardTo()><path>` (the bot, read at each post so a restarted bot is found),
 * answering what the bot answered; without `forwardTo` it answers 200 itself.
 */
export class AlertRecorder {
  readonly posts: AlertPost[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly forwardTo?: () => string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const receivedAt = Date.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const authorization = req.headers.authorization;
        let status = 200;
        let answer = 'recorded';
        const sent = performance.now();
        if (this.forwardTo) {
          try {
            const upstream = await fetch(`${this.forwardTo()}${path}`, {
              method: 'POST',
              headers: {
                'content-type': req.headers['content-type'] ?? 'application/json',
                ...(authorization ? { authorization } : {}),
              },
              body,
            });
            status = upstream.status;
            answer = await upstream.text();
          } catch (error) {
            status = 502;
            answer = `alert recorder: the bot is unreachable: ${(error as Error).message}`;
          }
        }
        const latencyMs = performance.now() - sent;
        this.posts.push({
          path,
          ...(authorization ? { authorization } : {}),
          payload: parse(body),
          status,
          answer,
          receivedAt,
          at: Date.now(),
          latencyMs,
        });
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Each alert posted so far with its notification, oldest first. */
  alerts(): { post: AlertPost; alert: WebhookAlert }[] {
    return this.posts.flatMap((post) => (post.payload.alerts ?? []).map((alert) => ({ post, alert })));
  }

  /** One line per notification, for failure messages. */
  summary(last = 10): string {
    return this.posts
      .slice(-last)
      .map(
        (p) =>
          `${new Date(p.receivedAt).toISOString().slice(11, 23)} ${p.payload.status} ` +
          `[${(p.payload.alerts ?? []).map((a) => `${a.labels.alertname}:${a.status}`).join(', ')}] -> ${p.status} ` +
          p.answer.trim().slice(0, 90),
      )
      .join('\n');
  }
}

export interface Alertmanager {
  url: string;
  child: Child;
  stop(): Promise<void>;
}

/**
 * Alertmanager on loopback, alone (no cluster peers), with one webhook receiver: `webhookUrl`, authorized with the
 * bearer `token`, resolved notifications on, and the fastest route timings (a notification as soon as an alert
 * fires, changes within a second, repeats every minute).
 */
export async function startAlertmanager(
  workDir: string,
  logDir: string,
  options: { webhookUrl: string; token: string },
): Promise<Alertmanager> {
  try {
    execFileSync(ALERTMANAGER_BIN, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `${ALERTMANAGER_BIN} not found: apt-get install -y prometheus-alertmanager (Debian's 0.25), or set E2E_ALERTMANAGER`,
    );
  }
  const dir = join(workDir, 'alertmanager');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, JSON.stringify(alertmanagerConfig(options), null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(
    'alertmanager',
    ALERTMANAGER_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // alone: no gossip port, and no wait for peers before notifying
      '--cluster.listen-address=',
      '--log.level=info',
    ],
    logDir,
  );
  await waitFor(
    'Alertmanager /-/ready',
    async () => {
      assertAlive(child);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    },
    { timeoutMs: 30_000, describe: () => child.tail() },
  );
  return { url, child, stop: () => child.stop() };
}

/** The receiver and route the README tells users to paste, with the harness's timings (JSON is YAML). */
export function alertmanagerConfig(options: { webhookUrl: string; token: string }) {
  return {
    route: {
      receiver: 'release-bot',
      group_by: ['alertname', 'namespace', 'canary'],
      group_wait: '0s',
      group_interval: '1s',
      repeat_interval: '1m',
    },
    receivers: [
      {
        name: 'release-bot',
        webhook_configs: [
          {
            url: options.webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: options.token } },
          },
        ],
      },
    ],
  };
}

function parse(body: string): WebhookPayload {
  try {
    return JSON.parse(body) as WebhookPayload;
  } catch {
    return {
      version: '',
      groupKey: '',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: '',
      groupLabels: {},
      commonLabels: {},
      alerts: [],
    };
  }
}
