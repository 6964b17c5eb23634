import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, payload, startHarness } from '../../testkit/bot';

const SERVICE = 'production/product-service';
const BINARY = '/usr/bin/prometheus-alertmanager';

interface Seen {
  from: string;
  status: number;
  body: { status?: string; alerts?: { status: string; fingerprint: string }[] };
}

/** Between Alertmanager and the bot: records each notification and the bot's answer, then passes the answer on. */
async function recordingProxy(target: () => string, seen: Seen[]): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const answer = await fetch(`${target()}/alertmanager`, {
      method: 'POST',
      body,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
    });
    const text = await answer.text();
    seen.push({ from: req.url ?? '', status: answer.status, body: JSON.parse(body) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One Alertmanager on its own (no gossip), posting to `<proxy>/<name>` with `token`. */
async function startAlertmanager(name: string, proxy: string, token: string) {
  const dir = mkdtempSync(join(tmpdir(), `am-${name}-`));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    // group_wait 0s raced: Alertmanager could flush the group between the two alerts of one POST on a busy machine.
    `route:
  receiver: release-bot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: release-bot
    webhook_configs:
      - url: ${proxy}/${name}
        send_resolved: true
        http_config:
          authorization:
            credentials: ${token}
`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(BINARY, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  let log = '';
  child.stderr?.on('data', (d) => {
    log += String(d);
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true);
  return {
    log: () => log,
    post: async (alerts: unknown[]) => {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        body: JSON.stringify(alerts),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
    },
    stop: () => child.kill('SIGTERM'),
  };
}

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const labels = (instance: string) => ({
  alertname: 'CanaryErrorRate',
  namespace: 'production',
  canary: 'product-service',
  severity: 'critical',
  instance,
});

describe('a real Alertmanager posting to the bot', () => {
  let harness: Harness;
  let proxy: Server;
  const seen: Seen[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    harness = await startHarness();
    proxy = await recordingProxy(() => harness.bot.url, seen);
  }, 30_000);
  afterAll(async () => {
    for (const stop of stops) stop();
    await new Promise((resolve) => proxy.close(resolve));
    await harness.stop();
  });

  it('groups, repeats, reports resolved, takes an HA twin, and refuses a wrong token: one rollback', async () => {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const token = harness.bot.alertmanagerToken;
    const [one, twin, wrong] = await Promise.all([
      startAlertmanager('one', proxyUrl, token),
      startAlertmanager('twin', proxyUrl, token),
      startAlertmanager('wrong', proxyUrl, 'not-the-token'),
    ]);
    for (const am of [one, twin, wrong]) stops.push(am.stop);
    // A release in flight that Flagger can roll back.
    expect((await harness.flagger('rollback', payload('Progressing', 'rev-1'))).status).toBe(403);

    const alerts = [
      { labels: labels('a'), annotations: { summary: 'error rate 12%' } },
      { labels: labels('b'), annotations: { summary: 'error rate 15%' } },
    ];
    await Promise.all([one.post(alerts), twin.post(alerts), wrong.post(alerts)]);
    // Grouping: both alerts in one notification; repeats (repeat_interval 2 s) from both instances.
    await until(() => seen.filter((s) => s.from === '/one' && s.status === 200).length >= 2);
    const first = seen.find((s) => s.from === '/one');
    expect(first?.body.alerts).toHaveLength(2);
    await until(() => seen.some((s) => s.from === '/twin' && s.status === 200));
    await until(() => seen.some((s) => s.from === '/wrong'));
    expect(seen.filter((s) => s.from === '/wrong').every((s) => s.status === 401)).toBe(true);
    await until(() => /401/.test(wrong.log()));

    const ended = new Date().toISOString();
    await one.post(alerts.map((a) => ({ ...a, endsAt: ended })));
    await until(() => seen.some((s) => s.from === '/one' && s.body.status === 'resolved' && s.status === 200));
    await harness.bot.queue.drain();

    const run = await harness.bot.deps.store.getRun(SERVICE, 1);
    expect(run?.rollback?.by).toBe('alertmanager');
    const audit = await harness.bot.deps.store.listAudit(SERVICE, 200);
    expect(audit.filter((e) => e.action === 'rollback' && e.outcome === 'accepted')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'runbook-started')).toHaveLength(1);
    expect(audit.some((e) => e.action === 'alert' && e.detail.includes('resolved'))).toBe(true);
    // The hook Flagger calls next now answers yes: the rollback signal.
    expect((await harness.flagger('rollback', payload('Progressing', 'rev-1'))).status).toBe(200);
  }, 60_000);
});
