import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterProbe } from '../../e2e/harness/cluster-probe';
import { withWeights } from '../../shared/adapters/kubernetes-cluster';

const SERVICE = 'web';
const route = (primary: number, canary: number) => [
  { destination: { host: `${SERVICE}-primary` }, weight: primary },
  { destination: { host: `${SERVICE}-canary` }, weight: canary },
];
const virtualService = (http: unknown[]) => ({
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: SERVICE, namespace: 'production', resourceVersion: '7' },
  spec: { hosts: [SERVICE], http },
});

describe('Function: withWeights', () => {
  it('moves every route naming the primary or the canary, the A/B header-matched one too, and leaves others', () => {
    const other = { route: [{ destination: { host: 'legacy' }, weight: 100 }] };
    const ab = virtualService([
      { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], route: route(0, 100) },
      { route: route(60, 40) },
      other,
    ]);
    const next = withWeights(ab, SERVICE, { primary: 100, canary: 0 });
    expect(next).toMatchObject({ routes: 2, before: { primary: 60, canary: 40 } });
    expect((next as unknown as { object: { spec: unknown } }).object.spec).toEqual({
      hosts: [SERVICE],
      http: [
        { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], route: route(100, 0) },
        { route: route(100, 0) },
        other,
      ],
    });
    // the resourceVersion read is the one written back (a concurrent write is a 409, never lost)
    expect((next as unknown as { object: { metadata: unknown } }).object.metadata).toEqual(ab.metadata);
  });

  it('never invents a canary destination for a rollback; adds the missing one (same domain) for a non-zero weight', () => {
    const lone = virtualService([
      { route: [{ destination: { host: `${SERVICE}-primary.production.svc` }, weight: 100 }] },
    ]);
    const back = withWeights(lone, SERVICE, { primary: 100, canary: 0 }) as unknown as {
      object: { spec: { http: unknown } };
    };
    expect(back.object.spec.http).toEqual(lone.spec.http);
    const split = withWeights(lone, SERVICE, { primary: 90, canary: 10 }) as unknown as {
      object: { spec: { http: unknown } };
    };
    expect(split.object.spec.http).toEqual([
      {
        route: [
          { destination: { host: `${SERVICE}-primary.production.svc` }, weight: 90 },
          { destination: { host: `${SERVICE}-canary.production.svc` }, weight: 10 },
        ],
      },
    ]);
  });

  it('tcp routes too; and says so when no route is Flagger’s', () => {
    const tcp = { ...virtualService([]), spec: { hosts: [SERVICE], tcp: [{ route: route(50, 50) }] } };
    expect(withWeights(tcp, SERVICE, { primary: 100, canary: 0 })).toMatchObject({
      routes: 1,
      object: { spec: { tcp: [{ route: route(100, 0) }] } },
    });
    expect(
      withWeights(virtualService([{ route: [{ destination: { host: 'x' } }] }]), SERVICE, { primary: 100, canary: 0 }),
    ).toEqual({ error: `has no route to ${SERVICE}-primary or ${SERVICE}-canary: is it managed by Flagger?` });
  });
});

/**
 * The verbs' retries and requests, in a child process (client-node is ESM-only) against an HTTPS server playing
 * the apiserver, answering a scripted sequence.
 */
describe('Class: KubernetesCluster runbook verbs against a scripted apiserver', () => {
  let dir: string;
  let server: Server;
  let probe: ClusterProbe;
  const seen: { method: string; path: string; at: number; contentType?: string; body: string }[] = [];
  let script: ((req: IncomingMessage, res: ServerResponse) => void)[] = [];
  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
  const kubeStatus = (code: number, reason: string, message: string) => ({
    kind: 'Status',
    status: 'Failure',
    code,
    reason,
    message,
  });
  const deployment = (replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SERVICE },
    spec: { replicas },
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubernetes-runbook-test-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat(
        ['-keyout', 'server.key', '-out', 'server.crt', '-days', '1', '-subj', '/CN=127.0.0.1'],
        ['-addext', 'subjectAltName=IP:127.0.0.1'],
      ),
      { cwd: dir, stdio: 'pipe' },
    );
    const cert = readFileSync(join(dir, 'server.crt'), 'utf8');
    writeFileSync(join(dir, 'token'), 'token-1');
    server = createServer({ cert, key: readFileSync(join(dir, 'server.key'), 'utf8') }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          at: Date.now(),
          contentType: req.headers['content-type'],
          body,
        });
        const next = script.shift();
        if (next) next(req, res);
        else json(500, kubeStatus(500, 'InternalError', 'no more script'))(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    probe = new ClusterProbe({
      server: url,
      caData: Buffer.from(cert).toString('base64'),
      tokenFile: join(dir, 'token'),
      timeoutMs: 500,
      writeDeadlineMs: 3000,
    });
    await probe.started();
  }, 30_000);

  afterAll(async () => {
    probe?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('set-weights: PUTs with the resourceVersion read; honours 429 Retry-After, re-reading before the next PUT', async () => {
    const vs = virtualService([{ route: route(70, 30) }]);
    script = [
      json(200, vs),
      json(429, kubeStatus(429, 'TooManyRequests', 'slow down'), { 'Retry-After': '1' }),
      json(200, vs),
      json(200, vs),
    ];

    const answer = await probe.call('setWeights', 'production', SERVICE, { primary: 100, canary: 0 }, { dryRun: true });

    expect(answer.result).toEqual({ changed: true, summary: 'primary 70 -> 100, canary 30 -> 0' });
    expect(seen.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET', 'PUT']);
    expect(seen[1]?.path).toContain('dryRun=All');
    expect(JSON.parse(seen[3]?.body ?? '{}').metadata.resourceVersion).toBe('7');
    expect((seen[2]?.at ?? 0) - (seen[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('scale: retries 503 with backoff, then sends a merge patch of spec.replicas', async () => {
    const unavailable = json(503, kubeStatus(503, 'ServiceUnavailable', 'etcd leader changed'));
    script = [unavailable, unavailable, json(200, deployment(2)), json(200, deployment(0))];

    const answer = await probe.call('scale', 'production', SERVICE, 0, { dryRun: false });

    expect(answer.result).toEqual({ changed: true, summary: 'replicas 2 -> 0' });
    expect(seen.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'PATCH']);
    expect(seen[3]).toMatchObject({ contentType: 'application/merge-patch+json', body: '{"spec":{"replicas":0}}' });
    expect(seen[3]?.path).not.toContain('dryRun');
  });

  it('a refusal that retrying cannot fix (422) is answered at once, not retried, with the apiserver’s words', async () => {
    script = [json(200, deployment(2)), json(422, kubeStatus(422, 'Invalid', 'spec.replicas: must be >= 0'))];

    const answer = await probe.call('scale', 'production', SERVICE, 0, { dryRun: false });

    expect(answer.result).toEqual({
      error: `the apiserver refused the change to Deployment production/${SERVICE} as invalid (422) (the apiserver said: spec.replicas: must be >= 0)`,
      retryable: false,
      status: 422,
    });
    expect(seen).toHaveLength(2);
  });

  it('5xx until the deadline: a retryable failure within the deadline, never a throw', async () => {
    script = Array.from({ length: 100 }, () =>
      json(500, kubeStatus(500, 'InternalError', 'etcdserver: request timed out')),
    );

    const answer = await probe.call(
      'annotate',
      { kind: 'Canary', namespace: 'production', name: SERVICE },
      { a: 'b' },
      { dryRun: false },
    );

    expect(answer.result).toEqual({
      error: expect.stringContaining(`answered 500 for Canary production/${SERVICE}`),
      retryable: true,
      status: 500,
    });
    expect(answer.ms).toBeLessThan(3500);
    expect(seen.length).toBeGreaterThan(3);
    script = [];
  });
});
