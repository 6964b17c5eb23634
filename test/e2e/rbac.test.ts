import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeError, waitFor } from '../../e2e/harness';
import { buildInfo, type Cluster, readManifests, startCluster } from '../../e2e/harness/cluster';
import { ClusterProbe } from '../../e2e/harness/cluster-probe';
import type { KubeObject } from '../../e2e/harness/kube';
import * as manifests from '../../e2e/harness/manifests';

/**
 * The bot's cluster access against a real kube-apiserver with RBAC: the KubernetesCluster adapter (in a child
 * process: client-node is ESM-only) as the `release-bot` identity, before and after deploy/rbac.yaml is applied
 * as it is in the repository, and every call outside that RBAC refused by the real authorizer. Only etcd,
 * kube-apiserver and Istio's VirtualService CRD are started: no Flagger, so the VirtualService is written here the
 * way Flagger's Istio router writes it.
 */
const NS = 'production';
const OTHER_NS = 'staging';
const SERVICE = 'web';
const RBAC_FILE = join(__dirname, '..', '..', 'deploy', 'rbac.yaml');
const VS_PATH = (ns: string, name = SERVICE) =>
  `/apis/networking.istio.io/v1beta1/namespaces/${ns}/virtualservices/${name}`;

/** Flagger v1.44 pkg/router/istio.go: VirtualService `<service>`, mesh gateway, one weighted route primary/canary. */
const flaggerVirtualService = (ns: string, primary: number, canary: number): KubeObject => ({
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: SERVICE, namespace: ns },
  spec: {
    hosts: [SERVICE],
    gateways: ['mesh'],
    http: [
      {
        route: [
          { destination: { host: `${SERVICE}-primary` }, weight: primary },
          { destination: { host: `${SERVICE}-canary` }, weight: canary },
        ],
      },
    ],
  },
});

describe('RBAC: the bot reads the live traffic split with exactly the access deploy/rbac.yaml documents', () => {
  let workDir: string;
  let cluster: Cluster | undefined;
  let probe: ClusterProbe | undefined;
  const timings: Record<string, number> = {};
  const env = () => {
    if (!cluster || !probe) throw new Error('cluster not started');
    return { admin: cluster.admin, bot: cluster.releaseBot, probe };
  };

  beforeAll(async () => {
    const started = Date.now();
    workDir = mkdtempSync(join(tmpdir(), 'release-bot-e2e-rbac-'));
    cluster = await startCluster(workDir, workDir);
    timings.cluster = (Date.now() - started) / 1000;
    const { admin } = cluster;

    // Istio's VirtualService CRD only, from the same istio.io/api module the full harness uses
    const crd = readManifests(buildInfo().crds.istio).find(
      (m) =>
        m.object.kind === 'CustomResourceDefinition' &&
        m.object.metadata.name === 'virtualservices.networking.istio.io',
    );
    if (!crd) throw new Error('no VirtualService CRD in the istio.io/api CRDs');
    await admin.applyText(crd.object, crd.text);
    await waitFor('the VirtualService CRD to be served', async () =>
      (await admin.raw('GET', `/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices`)).status === 200
        ? true
        : undefined,
    );
    for (const ns of [NS, OTHER_NS]) {
      await admin.apply(manifests.namespace(ns));
      await admin.apply(flaggerVirtualService(ns, 70, 30));
    }
    await admin.apply(manifests.deployment(NS, SERVICE, 'web:1'));
    await admin.call('POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-credentials' },
      stringData: { password: 'hunter2' },
    });
    timings.objects = (Date.now() - started) / 1000 - timings.cluster;

    // the adapter as the bot runs it, with the bot's identity (user release-bot, group release-bot)
    probe = new ClusterProbe({ kubeconfigFile: cluster.releaseBotKubeconfig, timeoutMs: 5000 });
    await probe.started();
    timings.ready = (Date.now() - started) / 1000;
  }, 180_000);

  afterAll(async () => {
    probe?.stop();
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    console.log(`rbac e2e timings (s): ${JSON.stringify(timings)}`);
  });

  it('without the RBAC, the real authorizer refuses the read and the adapter names the missing permission', async () => {
    const { probe } = env();

    const answer = await probe.trafficSplit(NS, SERVICE);

    expect(answer.result).toEqual({
      error: expect.stringContaining(
        `the bot may not read VirtualService ${NS}/${SERVICE} (403 Forbidden): it needs RBAC "get" on virtualservices.networking.istio.io in namespace ${NS}`,
      ),
    });
    // the sentence quotes the apiserver's own refusal
    expect((answer.result as { error: string }).error).toContain(
      'User "release-bot" cannot get resource "virtualservices" in API group "networking.istio.io"',
    );
  });

  it('with deploy/rbac.yaml applied as it is, the adapter reads the live split from the VirtualService', async () => {
    const { admin, probe } = env();
    const documents = readManifests(RBAC_FILE);
    expect(documents.map((d) => `${d.object.kind}/${d.object.metadata.name}`)).toEqual([
      'ClusterRole/release-bot',
      'RoleBinding/release-bot',
    ]);
    for (const { object, text } of documents) await admin.applyText(object, text);

    const answer = await waitFor(
      'the RoleBinding to take effect',
      async () => {
        const a = await probe.trafficSplit(NS, SERVICE);
        return 'error' in (a.result as object) ? undefined : a;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );

    expect(answer.result).toEqual({ canary: 30, primary: 70, from: 'virtualservice' });
  });

  it('follows the weights as they change', async () => {
    const { admin, probe } = env();
    await admin.apply(flaggerVirtualService(NS, 100, 0));
    expect((await probe.trafficSplit(NS, SERVICE)).result).toEqual({ canary: 0, primary: 100, from: 'virtualservice' });
    await admin.apply(flaggerVirtualService(NS, 70, 30));
  });

  it('refuses, with the same identity, every call outside the documented RBAC', async () => {
    const { bot, probe } = env();
    const refused = async (what: string, call: () => Promise<unknown>) => {
      const outcome = await call().then(
        () => 'allowed',
        (error: unknown) => (error instanceof KubeError ? error.status : String(error)),
      );
      return [what, outcome] as const;
    };

    const outcomes = await Promise.all([
      refused('list VirtualServices', () =>
        bot.list(`/apis/networking.istio.io/v1beta1/namespaces/${NS}/virtualservices`),
      ),
      refused('get a VirtualService in another namespace', () => bot.get(VS_PATH(OTHER_NS))),
      refused('patch the VirtualService', () =>
        bot.mergePatch(VS_PATH(NS), {
          spec: { http: [{ route: [{ destination: { host: `${SERVICE}-primary` }, weight: 100 }] }] },
        }),
      ),
      refused('get a Secret', () => bot.get(`/api/v1/namespaces/${NS}/secrets/web-credentials`)),
      refused('get a Deployment', () => bot.get(`/apis/apps/v1/namespaces/${NS}/deployments/${SERVICE}`)),
      refused('watch VirtualServices', () =>
        bot.get(`/apis/networking.istio.io/v1beta1/namespaces/${NS}/virtualservices?watch=true&timeoutSeconds=1`),
      ),
      refused('delete the VirtualService', () => bot.call('DELETE', VS_PATH(NS))),
    ]);

    expect(Object.fromEntries(outcomes)).toEqual({
      'list VirtualServices': 403,
      'get a VirtualService in another namespace': 403,
      'patch the VirtualService': 403,
      'get a Secret': 403,
      'get a Deployment': 403,
      'watch VirtualServices': 403,
      'delete the VirtualService': 403,
    });
    // the adapter in the other namespace too: refused, and it says which binding is missing
    expect((await probe.trafficSplit(OTHER_NS, SERVICE)).result).toEqual({
      error: expect.stringContaining(`with a RoleBinding in ${OTHER_NS}`),
    });
    // and the allowed read still works: the refusals are the RBAC, not a broken identity
    expect(await bot.get(VS_PATH(NS))).toMatchObject({ metadata: { name: SERVICE } });
  });

  it('documents a ClusterRole that grants nothing but that one rule, bound to the group release-bot only', async () => {
    const { admin, bot } = env();
    const role = await admin.get<{ rules: unknown[]; aggregationRule?: unknown }>(
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/release-bot',
    );
    expect(role.rules).toEqual([
      { apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: ['get'] },
    ]);
    expect(role.aggregationRule).toBeUndefined();
    const binding = await admin.get<{ roleRef: unknown; subjects: unknown[] }>(
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/release-bot`,
    );
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'release-bot',
    });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'release-bot' }]);

    // What the authorizer itself says the bot may do in the namespace, less what every authenticated user may
    // (system:basic-user, system:discovery, system:public-info-viewer: self reviews and discovery).
    const review = await bot.call<{
      status: {
        resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
      };
    }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace: NS },
    });
    const everyone = new Set(['authorization.k8s.io', 'authentication.k8s.io']);
    const granted = review.status.resourceRules.filter((r) => !(r.apiGroups ?? []).every((g) => everyone.has(g)));
    expect(granted).toEqual([{ verbs: ['get'], apiGroups: ['networking.istio.io'], resources: ['virtualservices'] }]);
  });
});
