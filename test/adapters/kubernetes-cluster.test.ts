import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterProbe } from '../../e2e/harness/cluster-probe';
import {
  type ClusterEntry,
  KubernetesCluster,
  kubernetesClusterFor,
  splitFromVirtualService,
} from '../../shared/adapters/kubernetes-cluster';
import type { ConfigDocument } from '../../shared/config/schema';

/*
 * Flagger's VirtualService as pkg/router/istio.go (v1.44) writes it. Weights are always written (`json:"weight"`).
 */
const SERVICE = 'web';
const route = (primary: number, canary: number) => [
  { destination: { host: `${SERVICE}-primary` }, weight: primary },
  { destination: { host: `${SERVICE}-canary` }, weight: canary },
];
const virtualService = (http: unknown[]) => ({
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: SERVICE, namespace: 'production' },
  spec: { hosts: [SERVICE], gateways: ['mesh'], http },
});

describe('Function: splitFromVirtualService', () => {
  it("reads the weights of Flagger's weighted route", () => {
    expect(splitFromVirtualService(virtualService([{ route: route(70, 30) }]), SERVICE)).toEqual({
      canary: 30,
      primary: 70,
      from: 'virtualservice',
    });
    expect(splitFromVirtualService(virtualService([{ route: route(100, 0) }]), SERVICE)).toEqual({
      canary: 0,
      primary: 100,
      from: 'virtualservice',
    });
  });

  it('with analysis.match (A/B), reads the route everyone else gets, not the header-matched one before it', () => {
    const ab = virtualService([
      { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], route: route(0, 100) },
      { route: [{ destination: { host: `${SERVICE}-primary` }, weight: 100 }] },
    ]);
    expect(splitFromVirtualService(ab, SERVICE)).toEqual({ canary: 0, primary: 100, from: 'virtualservice' });
  });

  it('with session affinity, reads the weighted route after the cookie-matched ones', () => {
    const sticky = virtualService([
      {
        match: [{ headers: { Cookie: { regex: '.*flagger-cookie.*' } } }],
        route: [{ destination: { host: `${SERVICE}-canary` }, weight: 100 }],
      },
      {
        route: [
          { destination: { host: `${SERVICE}-primary` }, weight: 80 },
          {
            destination: { host: `${SERVICE}-canary` },
            weight: 20,
            headers: { response: { add: { 'Set-Cookie': 'x' } } },
          },
        ],
      },
    ]);
    expect(splitFromVirtualService(sticky, SERVICE)).toEqual({ canary: 20, primary: 80, from: 'virtualservice' });
  });

  it('with spec.service.match on every route, reads the last route that names primary or canary', () => {
    const uri = [{ uri: { prefix: '/api' } }];
    const matched = virtualService([
      { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], route: route(0, 100) },
      { match: uri, route: [{ destination: { host: `${SERVICE}-primary` }, weight: 100 }] },
    ]);
    expect(splitFromVirtualService(matched, SERVICE)).toEqual({ canary: 0, primary: 100, from: 'virtualservice' });
    const weighted = virtualService([{ match: uri, route: route(90, 10) }]);
    expect(splitFromVirtualService(weighted, SERVICE)).toEqual({ canary: 10, primary: 90, from: 'virtualservice' });
  });

  it('reads TCP canaries, fully qualified hosts, and a lone destination without weight as 100', () => {
    const tcp = { spec: { hosts: [SERVICE], tcp: [{ route: route(60, 40) }] } };
    expect(splitFromVirtualService(tcp, SERVICE)).toEqual({ canary: 40, primary: 60, from: 'virtualservice' });
    const fqdn = virtualService([
      {
        route: [
          { destination: { host: `${SERVICE}-primary.production.svc.cluster.local` }, weight: 75 },
          { destination: { host: `${SERVICE}-canary.production.svc.cluster.local` }, weight: 25 },
        ],
      },
    ]);
    expect(splitFromVirtualService(fqdn, SERVICE)).toEqual({ canary: 25, primary: 75, from: 'virtualservice' });
    const lone = virtualService([{ route: [{ destination: { host: `${SERVICE}-primary` } }] }]);
    expect(splitFromVirtualService(lone, SERVICE)).toEqual({ canary: 0, primary: 100, from: 'virtualservice' });
  });

  it('answers a sentence for what is not a Flagger VirtualService', () => {
    const object = 'VirtualService production/web';
    expect(splitFromVirtualService({ kind: 'Status' }, SERVICE, object)).toEqual({
      error: expect.stringMatching(/^VirtualService production\/web is malformed: spec/),
    });
    expect(
      splitFromVirtualService(virtualService([{ route: [{ destination: { host: 'web' }, weight: 'x' }] }]), SERVICE),
    ).toEqual({ error: expect.stringContaining('is malformed: spec.http.0.route.0.weight') });
    expect(
      splitFromVirtualService(virtualService([{ route: [{ destination: { host: 'other' }, weight: 100 }] }]), SERVICE),
    ).toEqual({ error: expect.stringContaining('has no route to web-primary or web-canary') });
    expect(splitFromVirtualService(virtualService([{ route: route(0, 0) }]), SERVICE)).toEqual({
      error: expect.stringContaining('both weights are 0'),
    });
  });
});

describe('Class: KubernetesCluster', () => {
  it('loads @kubernetes/client-node only when asked: importing and constructing it works in Jest', () => {
    // Jest's CommonJS runtime cannot load client-node (ESM-only): getting this far proves it was not loaded.
    const cluster = new KubernetesCluster({ kubeconfigFile: '/nonexistent', timeoutMs: 100 });
    expect(cluster.description).toBe('kubernetes /nonexistent');
  });

  it("is built from the configuration's clusters entries, a kubeconfig relative to the configuration file", () => {
    // compile-time: every parsed `clusters:` entry is one the factory takes
    const fromConfig = (entry: ConfigDocument['clusters'][string]): ClusterEntry => entry;
    expect(fromConfig({ region: 'eu-west-1', name: 'prod' })).toEqual({ region: 'eu-west-1', name: 'prod' });
    expect(kubernetesClusterFor({ kubeconfig: 'kube/dev.yaml', context: 'kind' }, '/etc/release-bot').description).toBe(
      'kubernetes /etc/release-bot/kube/dev.yaml (context kind)',
    );
    expect(kubernetesClusterFor({ region: 'eu-west-1', name: 'prod' }, '/etc/release-bot').description).toBe(
      'eks prod (eu-west-1)',
    );
  });
});

/**
 * The adapter itself, in a child process on the project's Node 22 (Jest cannot load client-node), against an HTTPS
 * server on loopback playing the apiserver: its certificate is checked against caData, the bearer token is asked at
 * every request, and each kind of failure comes back as a sentence.
 */
describe('Class: KubernetesCluster, in a child process against a fake apiserver', () => {
  let dir: string;
  let server: Server;
  let serverUrl: string;
  let caData: string;
  let probe: ClusterProbe;
  const tokenFile = () => join(dir, 'token');
  const requests: { path: string; authorization: string | undefined }[] = [];
  let respond: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const kubeStatus = (code: number, reason: string, message: string, details?: object) => ({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubernetes-cluster-test-'));
    selfSigned(dir, 'server');
    selfSigned(dir, 'other');
    const cert = readFileSync(join(dir, 'server.crt'), 'utf8');
    caData = Buffer.from(cert).toString('base64');
    server = createServer({ cert, key: readFileSync(join(dir, 'server.key'), 'utf8') }, (req, res) => {
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
      respond(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(tokenFile(), 'token-1');
    probe = new ClusterProbe({ server: serverUrl, caData, tokenFile: tokenFile(), timeoutMs: 500 });
    await probe.started();
  }, 30_000);

  afterAll(async () => {
    probe?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    requests.length = 0;
  });

  it('runs on Node >= 22.12, loads client-node at the first call, and reads the VirtualService with the token', async () => {
    expect(Number((await probe.started()).node.match(/^v(\d+)/)?.[1])).toBeGreaterThanOrEqual(22);
    respond = (_req, res) => json(res, 200, virtualService([{ route: route(70, 30) }]));

    const first = await probe.trafficSplit('production', SERVICE);

    expect(first.result).toEqual({ canary: 30, primary: 70, from: 'virtualservice' });
    expect(first.loadedBefore).toBe(false);
    expect(first.loadedAfter).toBe(true);
    expect(requests).toEqual([
      {
        path: '/apis/networking.istio.io/v1beta1/namespaces/production/virtualservices/web',
        authorization: 'Bearer token-1',
      },
    ]);
  }, 20_000);

  it('asks for the token at every request, so a refreshed token is used at once', async () => {
    respond = (_req, res) => json(res, 200, virtualService([{ route: route(100, 0) }]));
    writeFileSync(tokenFile(), 'token-2');

    const answer = await probe.trafficSplit('production', SERVICE);

    expect(answer.result).toEqual({ canary: 0, primary: 100, from: 'virtualservice' });
    expect(requests.map((r) => r.authorization)).toEqual(['Bearer token-2']);
  });

  it('names the missing RBAC on 403', async () => {
    respond = (_req, res) =>
      json(
        res,
        403,
        kubeStatus(
          403,
          'Forbidden',
          'virtualservices.networking.istio.io "web" is forbidden: User "release-bot" cannot get resource "virtualservices" in API group "networking.istio.io" in the namespace "production"',
          { name: SERVICE, group: 'networking.istio.io', kind: 'virtualservices' },
        ),
      );

    const { result } = await probe.trafficSplit('production', SERVICE);

    expect(result).toEqual({
      error: expect.stringContaining(
        'the bot may not read VirtualService production/web (403 Forbidden): it needs RBAC "get" on virtualservices.networking.istio.io in namespace production',
      ),
    });
    expect((result as { error: string }).error).toContain('deploy/rbac.yaml');
  });

  it('tells a missing VirtualService from an API the apiserver does not serve (404)', async () => {
    respond = (_req, res) =>
      json(
        res,
        404,
        kubeStatus(404, 'NotFound', 'virtualservices.networking.istio.io "web" not found', {
          name: SERVICE,
          group: 'networking.istio.io',
          kind: 'virtualservices',
        }),
      );
    expect((await probe.trafficSplit('production', SERVICE)).result).toEqual({
      error: expect.stringMatching(/^no VirtualService production\/web: Flagger creates it/),
    });

    respond = (_req, res) =>
      json(res, 404, kubeStatus(404, 'NotFound', 'the server could not find the requested resource'));
    expect((await probe.trafficSplit('production', SERVICE)).result).toEqual({
      error: expect.stringContaining('does not serve networking.istio.io/v1beta1 virtualservices'),
    });
  });

  it('answers a sentence for a malformed answer, a 500 and a 401', async () => {
    respond = (_req, res) => json(res, 200, { kind: 'VirtualService', spec: { http: 'nope' } });
    expect((await probe.trafficSplit('production', SERVICE)).result).toEqual({
      error: expect.stringContaining('VirtualService production/web is malformed: spec.http'),
    });

    respond = (_req, res) => json(res, 500, kubeStatus(500, 'InternalError', 'etcdserver: request timed out'));
    expect((await probe.trafficSplit('production', SERVICE)).result).toEqual({
      error: expect.stringContaining('answered 500 for VirtualService production/web'),
    });

    respond = (_req, res) => json(res, 401, kubeStatus(401, 'Unauthorized', 'Unauthorized'));
    expect((await probe.trafficSplit('production', SERVICE)).result).toEqual({
      error: expect.stringContaining("did not accept the bot's credentials (401)"),
    });
  });

  it('gives up at its deadline when the apiserver does not answer', async () => {
    respond = () => {}; // never answers

    const answer = await probe.trafficSplit('production', SERVICE);

    expect(answer.result).toEqual({ error: expect.stringContaining('did not answer within 500 ms') });
    expect(answer.ms).toBeLessThan(2000);
  });

  it('says so when the apiserver cannot be reached or its certificate is not the expected one', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const other = createNetServer().listen(0, '127.0.0.1', () => {
        const { port } = other.address() as AddressInfo;
        other.close(() => resolve(port));
      });
    });
    const closedUrl = `https://127.0.0.1:${closedPort}`;
    const closed = new ClusterProbe({ server: closedUrl, caData, tokenFile: tokenFile(), timeoutMs: 500 });
    const wrongCa = new ClusterProbe({
      server: serverUrl,
      caData: Buffer.from(readFileSync(join(dir, 'other.crt'), 'utf8')).toString('base64'),
      tokenFile: tokenFile(),
      timeoutMs: 500,
    });
    try {
      const [unreachable, untrusted] = await Promise.all([
        closed.trafficSplit('production', SERVICE),
        wrongCa.trafficSplit('production', SERVICE),
      ]);
      expect(unreachable.result).toEqual({
        error: expect.stringMatching(new RegExp(`^cannot reach the apiserver at ${closedUrl}: .*ECONNREFUSED`)),
      });
      expect(untrusted.result).toEqual({
        error: expect.stringMatching(new RegExp(`^cannot reach the apiserver at ${serverUrl}: .*certificate`)),
      });
    } finally {
      closed.stop();
      wrongCa.stop();
    }
  }, 30_000);
});

/** A self-signed certificate for 127.0.0.1, `<name>.crt` and `<name>.key` in `dir`. */
function selfSigned(dir: string, name: string): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat(
      ['-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', '/CN=127.0.0.1'],
      ['-addext', 'subjectAltName=IP:127.0.0.1'],
    ),
    { cwd: dir, stdio: 'pipe' },
  );
}
