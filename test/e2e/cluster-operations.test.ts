import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../e2e/harness';
import { applyCrds, type Cluster, readManifests, startCluster } from '../../e2e/harness/cluster';
import { ClusterProbe } from '../../e2e/harness/cluster-probe';
import type { KubeObject } from '../../e2e/harness/kube';
import * as manifests from '../../e2e/harness/manifests';
import { ApiserverProxy } from '../support/apiserver-proxy';
import { canaryObject, destinationRuleObject } from '../support/flagger-objects';

/**
 * The runbook verbs of the KubernetesCluster adapter (in a child process: client-node is ESM-only) against a real
 * etcd + kube-apiserver with Flagger's and Istio's CRDs, as the `release-bot` identity bound by deploy/rbac.yaml.
 * The bot talks through ApiserverProxy, so a test can take the apiserver away and slip in a concurrent writer.
 */
const NS = 'production';
const READ_ONLY_NS = 'staging';
const SERVICE = 'web';
const RBAC_FILE = join(__dirname, '..', '..', 'deploy', 'rbac.yaml');
const VS = (ns = NS) => `/apis/networking.istio.io/v1beta1/namespaces/${ns}/virtualservices/${SERVICE}`;
const DEPLOY = `/apis/apps/v1/namespaces/${NS}/deployments/${SERVICE}`;
const CANARY = `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries/${SERVICE}`;
const DR = `/apis/networking.istio.io/v1beta1/namespaces/${NS}/destinationrules/${SERVICE}-canary`;
const WRITE_DEADLINE = 3000;

const weighted = (primary: number, canary: number) => [
  { destination: { host: `${SERVICE}-primary` }, weight: primary },
  { destination: { host: `${SERVICE}-canary` }, weight: canary },
];
/** Flagger's A/B VirtualService: insiders (header match) on the canary, everyone else weighted. */
const virtualService = (ns: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: SERVICE, namespace: ns },
  spec: {
    hosts: [SERVICE],
    gateways: ['mesh'],
    http: [
      { match: [{ headers: { 'x-canary': { exact: 'insider' } } }], route: weighted(0, 100) },
      { route: weighted(70, 30) },
    ],
  },
});
const destinationRule = (name: string, host: string) => destinationRuleObject(NS, name, host);
const canary = canaryObject(NS, SERVICE);
const routesOf = (vs: KubeObject) =>
  ((vs as unknown as { spec: { http: { route: { weight: number }[] }[] } }).spec.http ?? []).map((r) =>
    r.route.map((d) => d.weight),
  );

const annotation = (object: KubeObject, key: string) =>
  (object.metadata as { annotations?: Record<string, string> }).annotations?.[key];

describe('Cluster operations: the runbook verbs against a real kube-apiserver', () => {
  let workDir: string;
  let cluster: Cluster | undefined;
  let proxy: ApiserverProxy | undefined;
  let probe: ClusterProbe | undefined;
  const env = () => {
    if (!cluster || !probe || !proxy) throw new Error('cluster not started');
    return { admin: cluster.admin, probe, proxy };
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'release-bot-e2e-ops-'));
    cluster = await startCluster(workDir, workDir);
    const { admin } = cluster;
    await applyCrds(admin);
    for (const ns of [NS, READ_ONLY_NS]) {
      await admin.apply(manifests.namespace(ns));
      await admin.apply(virtualService(ns));
    }
    await admin.apply(manifests.deployment(NS, SERVICE, 'web:2', 2));
    await admin.apply(canary);
    await admin.apply(destinationRule(`${SERVICE}-canary`, `${SERVICE}-canary`));
    await admin.apply(destinationRule(`${SERVICE}-primary`, `${SERVICE}-primary.${NS}.svc.cluster.local`));
    await admin.apply(destinationRule('other', 'other-primary'));
    for (const { object, text } of readManifests(RBAC_FILE)) await admin.applyText(object, text);
    // staging: the bot may read the VirtualService, not change it (for the 403 sentence)
    await admin.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-vs', namespace: READ_ONLY_NS },
      rules: [{ apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: ['get'] }],
    } as KubeObject);
    await admin.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'read-vs', namespace: READ_ONLY_NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-vs' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'release-bot' }],
    } as KubeObject);

    proxy = new ApiserverProxy(cluster.releaseBotKubeconfig);
    await proxy.start();
    const kubeconfigFile = join(workDir, 'bot-via-proxy.kubeconfig');
    writeFileSync(kubeconfigFile, proxy.kubeconfig());
    probe = new ClusterProbe({ kubeconfigFile, timeoutMs: 1000, writeDeadlineMs: WRITE_DEADLINE });
    await probe.started();
    await waitFor(
      'the RoleBinding to take effect',
      async () => {
        const answer = await probe?.trafficSplit(NS, SERVICE);
        if (answer && 'error' in (answer.result as object)) throw new Error(JSON.stringify(answer.result));
        return answer ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
  }, 180_000);

  afterAll(async () => {
    probe?.stop();
    await proxy?.stop();
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('setWeights: a dry run persists nothing; then every Flagger route moves, and a second call changes nothing', async () => {
    const { admin, probe } = env();
    const before = await admin.get(VS());

    const dry = await probe.call('setWeights', NS, SERVICE, { primary: 100, canary: 0 }, { dryRun: true });
    expect(dry.result).toEqual({ changed: true, summary: 'primary 70 -> 100, canary 30 -> 0 (2 routes)' });
    const unchanged = await admin.get(VS());
    expect(unchanged.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(routesOf(unchanged)).toEqual([
      [0, 100],
      [70, 30],
    ]);

    const real = await probe.call('setWeights', NS, SERVICE, { primary: 100, canary: 0 }, { dryRun: false });
    expect(real.result).toEqual({ changed: true, summary: 'primary 70 -> 100, canary 30 -> 0 (2 routes)' });
    // the header-matched (A/B) route too: the insiders are off the canary as well
    expect(routesOf(await admin.get(VS()))).toEqual([
      [100, 0],
      [100, 0],
    ]);

    const again = await probe.call('setWeights', NS, SERVICE, { primary: 100, canary: 0 }, { dryRun: false });
    expect(again.result).toEqual({ changed: false, summary: 'already primary 100, canary 0' });
  });

  it('scale: dry run says what would change and keeps the replicas; then scales; then is already so', async () => {
    const { admin, probe } = env();
    expect((await probe.call('scale', NS, SERVICE, 0, { dryRun: true })).result).toEqual({
      changed: true,
      summary: 'replicas 2 -> 0',
    });
    expect((await admin.get<{ spec: { replicas: number } }>(DEPLOY)).spec.replicas).toBe(2);
    expect((await probe.call('scale', NS, SERVICE, 0, { dryRun: false })).result).toEqual({
      changed: true,
      summary: 'replicas 2 -> 0',
    });
    expect((await admin.get<{ spec: { replicas: number } }>(DEPLOY)).spec.replicas).toBe(0);
    expect((await probe.call('scale', NS, SERVICE, 0, { dryRun: false })).result).toEqual({
      changed: false,
      summary: 'already replicas 0',
    });
  });

  it('mergePatch and annotate: a Canary and a DestinationRule, dry run first', async () => {
    const { admin, probe } = env();
    const ref = { kind: 'Canary', namespace: NS, name: SERVICE };
    const patch = { spec: { analysis: { threshold: 3 } } };
    expect((await probe.call('mergePatch', ref, patch, { dryRun: true })).result).toEqual({
      changed: true,
      summary: 'spec.analysis.threshold 5 -> 3',
    });
    expect((await admin.get<{ spec: { analysis: { threshold: number } } }>(CANARY)).spec.analysis.threshold).toBe(5);
    expect((await probe.call('mergePatch', ref, patch, { dryRun: false })).result).toMatchObject({ changed: true });
    expect((await admin.get<{ spec: { analysis: { threshold: number } } }>(CANARY)).spec.analysis.threshold).toBe(3);
    expect((await probe.call('mergePatch', ref, patch, { dryRun: false })).result).toMatchObject({ changed: false });

    const rule = { kind: 'DestinationRule', namespace: NS, name: `${SERVICE}-canary` };
    const note = { 'release-bot/rolled-back': 'run-7' };
    expect((await probe.call('annotate', rule, note, { dryRun: true })).result).toEqual({
      changed: true,
      summary: 'metadata.annotations.release-bot/rolled-back unset -> "run-7"',
    });
    expect(annotation(await admin.get(DR), 'release-bot/rolled-back')).toBeUndefined();
    expect((await probe.call('annotate', rule, note, { dryRun: false })).result).toMatchObject({ changed: true });
    expect(annotation(await admin.get(DR), 'release-bot/rolled-back')).toBe('run-7');
  });

  it('reads: canary state, deployment state, an object, the service’s DestinationRules; a missing object is a 404', async () => {
    const { admin, probe } = env();
    await admin.call(
      'PATCH',
      `${CANARY}/status`,
      { status: { phase: 'Progressing', canaryWeight: 30, failedChecks: 1, iterations: 2 } },
      'application/merge-patch+json',
    );
    expect((await probe.call('canaryState', NS, SERVICE)).result).toEqual({
      phase: 'Progressing',
      canaryWeight: 30,
      failedChecks: 1,
      iterations: 2,
    });
    expect((await probe.call('deploymentState', NS, SERVICE)).result).toEqual({
      replicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
    });
    expect((await probe.call('read', { kind: 'VirtualService', namespace: NS, name: SERVICE })).result).toMatchObject({
      metadata: { name: SERVICE },
    });
    const rules = (await probe.call('listDestinationRules', NS, SERVICE)).result as KubeObject[];
    expect(rules.map((r) => r.metadata.name).sort()).toEqual([`${SERVICE}-canary`, `${SERVICE}-primary`]);
    expect((await probe.call('read', { kind: 'Deployment', namespace: NS, name: 'absent' })).result).toEqual({
      error: `no Deployment ${NS}/absent`,
      retryable: false,
      status: 404,
    });
  });

  it('409: a writer bumps the VirtualService between the read and the PUT; the adapter re-reads and wins', async () => {
    const { admin, probe, proxy } = env();
    proxy.before('PUT', /virtualservices\/web(\?|$)/, async () => {
      await admin.mergePatch(VS(), { metadata: { annotations: { 'flagger.app/touched': 'yes' } } });
    });
    const puts = () => proxy.seen.filter((s) => s.startsWith('PUT ')).length;
    const putsBefore = puts();

    const answer = await probe.call('setWeights', NS, SERVICE, { primary: 50, canary: 50 }, { dryRun: false });

    expect(answer.result).toEqual({ changed: true, summary: 'primary 100 -> 50, canary 0 -> 50 (2 routes)' });
    expect(puts() - putsBefore).toBe(2); // the first PUT got the real apiserver's 409
    const vs = await admin.get(VS());
    expect(routesOf(vs)).toEqual([
      [50, 50],
      [50, 50],
    ]);
    expect(annotation(vs, 'flagger.app/touched')).toBe('yes'); // the other writer's change is kept
  });

  it('an apiserver away for less than the deadline: the call waits it out and succeeds', async () => {
    const { probe, proxy } = env();
    await proxy.stop();
    const back = new Promise<void>((resolve) => setTimeout(() => void proxy.start().then(resolve), 800));

    const answer = await probe.call('setWeights', NS, SERVICE, { primary: 100, canary: 0 }, { dryRun: false });
    await back;

    expect(answer.result).toEqual({ changed: true, summary: 'primary 50 -> 100, canary 50 -> 0 (2 routes)' });
    expect(answer.ms).toBeGreaterThanOrEqual(700);
  });

  it('an apiserver away for longer than the deadline: a retryable failure with a sentence, in time, no throw', async () => {
    const { probe, proxy } = env();
    await proxy.stop();
    try {
      const answer = await probe.call('scale', NS, SERVICE, 1, { dryRun: false });
      expect(answer.result).toEqual({
        error: expect.stringMatching(/^cannot reach the apiserver at http:\/\/127\.0\.0\.1:\d+: /),
        retryable: true,
      });
      expect(answer.ms).toBeLessThan(WRITE_DEADLINE + 1000);
      expect(answer.ms).toBeGreaterThan(WRITE_DEADLINE - 300); // it kept trying until the deadline
    } finally {
      await proxy.start();
    }
  });

  it('403: the sentence names the RBAC verb and resource the call needed', async () => {
    const { admin, probe } = env();
    const answer = await probe.call(
      'setWeights',
      READ_ONLY_NS,
      SERVICE,
      { primary: 100, canary: 0 },
      { dryRun: false },
    );
    expect(answer.result).toEqual({
      error: expect.stringContaining(
        `the bot may not change VirtualService ${READ_ONLY_NS}/${SERVICE} (403 Forbidden): it needs RBAC "update" on virtualservices.networking.istio.io in namespace ${READ_ONLY_NS}`,
      ),
      retryable: false,
      status: 403,
    });
    expect(routesOf(await admin.get(VS(READ_ONLY_NS)))).toEqual([
      [0, 100],
      [70, 30],
    ]);
    expect((await probe.call('deploymentState', READ_ONLY_NS, SERVICE)).result).toMatchObject({
      error: expect.stringContaining(`it needs RBAC "get" on deployments.apps in namespace ${READ_ONLY_NS}`),
      status: 403,
    });
  });
});
