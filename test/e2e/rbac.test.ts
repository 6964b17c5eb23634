import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeError, waitFor } from '../../e2e/harness';
import { applyCrds, type Cluster, readManifests, startCluster } from '../../e2e/harness/cluster';
import { ClusterProbe } from '../../e2e/harness/cluster-probe';
import type { KubeObject } from '../../e2e/harness/kube';
import * as manifests from '../../e2e/harness/manifests';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { RunbookCluster } from '../../shared/ports/cluster';
import { runDoctor } from '../../shared/usecases/doctor';
import { aPolicy } from '../../testkit/builders';
import { canaryObject, destinationRuleObject } from '../support/flagger-objects';

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

const CANARY = canaryObject(NS, SERVICE);
const DESTINATION_RULE = destinationRuleObject(NS, `${SERVICE}-canary`, `${SERVICE}-canary`);
/** The design document's production mTLS. */
const PEER_AUTHENTICATION: KubeObject = {
  apiVersion: 'security.istio.io/v1beta1',
  kind: 'PeerAuthentication',
  metadata: { name: 'default', namespace: NS },
  spec: { mtls: { mode: 'STRICT' } },
};
/** What deploy/rbac.yaml grants, rule by rule (each commented there with the step kinds that need it). */
const GRANTED = [
  { apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['networking.istio.io'], resources: ['destinationrules'], verbs: ['get', 'list', 'patch'] },
  { apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get', 'patch'] },
  { apiGroups: ['security.istio.io'], resources: ['peerauthentications'], verbs: ['list'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
];

describe('RBAC: the bot reads the split and runs its runbook verbs with exactly the access deploy/rbac.yaml documents', () => {
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

    await applyCrds(admin);
    for (const ns of [NS, OTHER_NS]) {
      await admin.apply(manifests.namespace(ns));
      await admin.apply(flaggerVirtualService(ns, 70, 30));
    }
    await admin.apply(manifests.deployment(NS, SERVICE, 'web:1'));
    await admin.apply(manifests.deployment(NS, `${SERVICE}-primary`, 'web:1'));
    await admin.apply(CANARY);
    await admin.apply(DESTINATION_RULE);
    await admin.apply(PEER_AUTHENTICATION);
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

  it('every granted verb works for the runbook steps that need it, as the bot', async () => {
    const { admin, probe } = env();
    const vs = { kind: 'VirtualService', namespace: NS, name: SERVICE };
    const real = { dryRun: false };
    const results = {
      'set-weights (virtualservices get, update)': (
        await probe.call('setWeights', NS, SERVICE, { primary: 100, canary: 0 }, real)
      ).result,
      'annotate a VirtualService (patch)': (await probe.call('annotate', vs, { 'release-bot/run': '1' }, real)).result,
      'scale (deployments get, patch)': (await probe.call('scale', NS, SERVICE, 0, real)).result,
      'patch a Canary (canaries get, patch)': (
        await probe.call(
          'mergePatch',
          { kind: 'Canary', namespace: NS, name: SERVICE },
          { spec: { skipAnalysis: true } },
          real,
        )
      ).result,
      'annotate a DestinationRule (destinationrules get, patch)': (
        await probe.call(
          'annotate',
          { kind: 'DestinationRule', namespace: NS, name: `${SERVICE}-canary` },
          { a: 'b' },
          real,
        )
      ).result,
      'inspect canary (canaries get)': (await probe.call('canaryState', NS, SERVICE)).result,
      'wait deployment-ready (deployments get)': (await probe.call('deploymentState', NS, `${SERVICE}-primary`)).result,
      'inspect destinationrules (destinationrules list)': (
        (await probe.call('listDestinationRules', NS, SERVICE)).result as KubeObject[]
      ).map((r) => r.metadata.name),
      '/canary doctor reads mTLS (peerauthentications list)': (
        (await probe.call('listPeerAuthentications', NS)).result as KubeObject[]
      ).map((r) => r.metadata.name),
    };
    expect(results).toEqual({
      'set-weights (virtualservices get, update)': { changed: true, summary: 'primary 70 -> 100, canary 30 -> 0' },
      'annotate a VirtualService (patch)': {
        changed: true,
        summary: 'metadata.annotations.release-bot/run unset -> "1"',
      },
      'scale (deployments get, patch)': { changed: true, summary: 'replicas 2 -> 0' },
      'patch a Canary (canaries get, patch)': { changed: true, summary: 'spec.skipAnalysis unset -> true' },
      'annotate a DestinationRule (destinationrules get, patch)': {
        changed: true,
        summary: 'metadata.annotations.a unset -> "b"',
      },
      'inspect canary (canaries get)': {},
      'wait deployment-ready (deployments get)': {
        replicas: 2,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      },
      'inspect destinationrules (destinationrules list)': [`${SERVICE}-canary`],
      '/canary doctor reads mTLS (peerauthentications list)': ['default'],
    });
    // the writes really happened, as the bot
    expect(
      (await admin.get<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${NS}/deployments/${SERVICE}`)).spec
        .replicas,
    ).toBe(0);
    await admin.apply(flaggerVirtualService(NS, 70, 30));
  });

  it('/canary doctor reads everything it checks with that RBAC: no check is a refusal', async () => {
    const { probe } = env();
    // The adapter's verbs, answered by the probe's child process (client-node is ESM-only, jest is not).
    const cluster = new Proxy({} as RunbookCluster, {
      get:
        (_target, verb: string) =>
        async (...args: unknown[]) =>
          (await probe.call(verb, ...args)).result,
    });
    const config: BotConfig = {
      file: 'release-bot.yaml',
      services: new Map([[`${NS}/${SERVICE}`, aPolicy({ service: `${NS}/${SERVICE}`, cluster: 'prod' })]]),
      clusters: { prod: { kubeconfig: 'unused' } },
      ...sectionDefaults(),
    };

    const report = await runDoctor({ config, clusters: new Map([['prod', cluster]]) }, `${NS}/${SERVICE}`);
    const line = (subject: string) => report.checks.find((c) => c.subject === subject);

    expect(report.checks.map((c) => c.found).join('\n')).not.toMatch(/403|Forbidden|may not/);
    expect(line(`Canary ${NS}/${SERVICE}`)?.status).toBe('pass');
    expect(line(`VirtualService ${SERVICE}`)?.status).toBe('pass');
    expect(line(`DestinationRule ${SERVICE}-canary`)?.status).toBe('pass');
    // What this cluster really lacks, as the doctor tells it: the Canary has no webhooks, no primary rule.
    expect(line('rollback webhook')).toMatchObject({ status: 'fail', found: 'none on the Canary' });
    expect(line(`DestinationRule ${SERVICE}-primary`)).toMatchObject({ status: 'fail', found: 'not found' });
    expect(line('mTLS')).toMatchObject({ status: 'pass', found: 'STRICT, as configured' });
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
      refused('patch the VirtualService in another namespace', () =>
        bot.mergePatch(VS_PATH(OTHER_NS), { metadata: { annotations: { a: 'b' } } }),
      ),
      refused('get a Secret', () => bot.get(`/api/v1/namespaces/${NS}/secrets/web-credentials`)),
      refused('list Deployments', () => bot.list(`/apis/apps/v1/namespaces/${NS}/deployments`)),
      refused('delete a Deployment', () => bot.call('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/${SERVICE}`)),
      refused('create a Deployment', () =>
        bot.call('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, manifests.deployment(NS, 'intruder', 'x:1')),
      ),
      refused('the deployments/scale subresource', () =>
        bot.get(`/apis/apps/v1/namespaces/${NS}/deployments/${SERVICE}/scale`),
      ),
      refused('delete a Canary', () =>
        bot.call('DELETE', `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/${SERVICE}`),
      ),
      refused('update a Canary', () =>
        bot.call('PUT', `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/${SERVICE}`, CANARY),
      ),
      refused('list Pods', () => bot.list(`/api/v1/namespaces/${NS}/pods`)),
      refused('create a VirtualService', () =>
        bot.call('POST', `/apis/networking.istio.io/v1beta1/namespaces/${NS}/virtualservices`, {
          ...flaggerVirtualService(NS, 0, 100),
          metadata: { name: 'intruder', namespace: NS },
        }),
      ),
      refused('watch VirtualServices', () =>
        bot.get(`/apis/networking.istio.io/v1beta1/namespaces/${NS}/virtualservices?watch=true&timeoutSeconds=1`),
      ),
      refused('delete the VirtualService', () => bot.call('DELETE', VS_PATH(NS))),
      refused('get a PeerAuthentication (only list is granted)', () =>
        bot.get(`/apis/security.istio.io/v1beta1/namespaces/${NS}/peerauthentications/default`),
      ),
      refused('change a PeerAuthentication', () =>
        bot.mergePatch(`/apis/security.istio.io/v1beta1/namespaces/${NS}/peerauthentications/default`, {
          spec: { mtls: { mode: 'PERMISSIVE' } },
        }),
      ),
    ]);

    expect(Object.fromEntries(outcomes)).toEqual({
      'list VirtualServices': 403,
      'get a VirtualService in another namespace': 403,
      'patch the VirtualService in another namespace': 403,
      'get a Secret': 403,
      'list Deployments': 403,
      'delete a Deployment': 403,
      'create a Deployment': 403,
      'the deployments/scale subresource': 403,
      'delete a Canary': 403,
      'update a Canary': 403,
      'list Pods': 403,
      'create a VirtualService': 403,
      'watch VirtualServices': 403,
      'delete the VirtualService': 403,
      'get a PeerAuthentication (only list is granted)': 403,
      'change a PeerAuthentication': 403,
    });
    // the adapter in the other namespace too: refused, and it says which binding is missing
    expect((await probe.trafficSplit(OTHER_NS, SERVICE)).result).toEqual({
      error: expect.stringContaining(`with a RoleBinding in ${OTHER_NS}`),
    });
    // and the allowed read still works: the refusals are the RBAC, not a broken identity
    expect(await bot.get(VS_PATH(NS))).toMatchObject({ metadata: { name: SERVICE } });
  });

  it('documents a ClusterRole that grants nothing but those rules, bound to the group release-bot only', async () => {
    const { admin, bot } = env();
    const role = await admin.get<{ rules: unknown[]; aggregationRule?: unknown }>(
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/release-bot',
    );
    expect(role.rules).toEqual(GRANTED);
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
    const asRule = (r: { verbs: string[]; apiGroups?: string[]; resources?: string[] }) =>
      `${(r.apiGroups ?? []).join()}/${(r.resources ?? []).join()}: ${[...r.verbs].sort().join()}`;
    expect(granted.map(asRule).sort()).toEqual(GRANTED.map(asRule).sort());
  });
});
