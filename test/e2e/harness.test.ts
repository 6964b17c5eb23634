import { type Environment, KubeError, startEnvironment, waitFor } from '../../e2e/harness';
import * as manifests from '../../e2e/harness/manifests';
import { CANARY_ALERT } from '../../e2e/harness/prometheus';
import { ALERTMANAGER_TOKEN } from '../../testkit/bot';

/**
 * The end-to-end harness itself: authentication and RBAC, the status keeper standing in for controllers, and
 * the traffic simulator's Istio series as Prometheus and Flagger read them, and the canary's alert rule through the
 * real Alertmanager to a recording receiver. Seconds, not minutes.
 */
const NS = 'harness';
const NAME = 'web';

interface DeploymentStatus {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason: string }[];
  };
}

describe('End-to-end harness: cluster, status keeper, traffic and Prometheus', () => {
  let env: Environment | undefined;
  const admin = () => {
    if (!env) throw new Error('environment not started');
    return env.cluster.admin;
  };
  const deploymentPath = `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}`;

  beforeAll(async () => {
    env = await startEnvironment({
      namespace: NS,
      service: NAME,
      traffic: { rps: 100 },
      alerting: { token: ALERTMANAGER_TOKEN },
    });
    await admin().apply(manifests.namespace(NS));
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('authenticates the release-bot by client certificate and grants it nothing until a role is bound', async () => {
    const bot = env?.cluster.releaseBot;
    if (!bot) throw new Error('no release-bot client');
    const review = await bot.call<{ status: { userInfo: { username: string; groups: string[] } } }>(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    expect(review.status.userInfo.username).toBe('release-bot');
    expect(review.status.userInfo.groups).toEqual(expect.arrayContaining(['release-bot', 'system:authenticated']));
    expect(await bot.can('get', 'canaries', NS, 'flagger.app')).toBe(false);
    await expect(bot.get(`/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`)).rejects.toMatchObject({
      status: 403,
    });

    await admin().apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-canaries', namespace: NS },
      rules: [{ apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get', 'list'] }],
    });
    await admin().apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'release-bot-read-canaries', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-canaries' },
      subjects: [{ kind: 'User', name: 'release-bot', apiGroup: 'rbac.authorization.k8s.io' }],
    });

    await waitFor('the role binding to take effect', async () =>
      (await bot.can('list', 'canaries', NS, 'flagger.app')) ? true : undefined,
    );
    expect(await bot.list(`/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`)).toEqual([]);
    expect(await bot.can('patch', 'canaries', NS, 'flagger.app')).toBe(false);
    await expect(bot.get(deploymentPath)).rejects.toBeInstanceOf(KubeError);
  });

  it('keeps Deployment status as the deployment controller would, and marks pods unready on demand', async () => {
    const keeper = env?.keeper;
    if (!keeper) throw new Error('no status keeper');
    const status = () => admin().get<DeploymentStatus>(deploymentPath);
    const settled = (ready: boolean) => async () => {
      const d = await status();
      const available = d.status?.conditions?.find((c) => c.type === 'Available')?.status;
      return d.status?.observedGeneration === d.metadata.generation &&
        d.status.replicas === 3 &&
        (d.status.availableReplicas ?? 0) === (ready ? 3 : 0) &&
        available === (ready ? 'True' : 'False')
        ? d
        : undefined;
    };

    await admin().apply(manifests.deployment(NS, NAME, 'web:1', 3));
    const first = await waitFor('a ready status', settled(true), { timeoutMs: 5000 });
    expect(first.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetAvailable');

    keeper.setReady(NS, NAME, false);
    await waitFor('an unready status', settled(false), { timeoutMs: 5000 });

    keeper.setReady(NS, NAME, true);
    await admin().apply(manifests.deployment(NS, NAME, 'web:2', 3));
    const second = await waitFor('a ready status for the new spec', settled(true), { timeoutMs: 5000 });
    expect(second.metadata.generation).toBeGreaterThan(first.metadata.generation);
  });

  it("splits the simulated requests by the live VirtualService weights, in Istio's series", async () => {
    if (!env) throw new Error('environment not started');
    const { traffic, prometheus } = env;
    await admin().apply({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: NAME, namespace: NS },
      spec: {
        hosts: [NAME],
        http: [
          {
            route: [
              { destination: { host: `${NAME}-primary` }, weight: 70 },
              { destination: { host: `${NAME}-canary` }, weight: 30 },
            ],
          },
        ],
      },
    });
    await waitFor('the simulator to route 70/30', async () =>
      traffic.currentWeights()?.canary === 30 ? true : undefined,
    );
    traffic.set({ canary: { errorRatio: 0.2, latencyMs: 300 } });

    // Flagger's builtin queries (flagger-contract.md), over a window that starts after the change
    const successRate = `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"${NAME}",response_code!~"5.*"}[8s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"${NAME}"}[8s])) * 100`;
    const p99 = `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="${NS}",destination_workload=~"${NAME}"}[8s])) by (le))`;
    const share = `sum(rate(istio_requests_total{reporter="destination",destination_workload=~"${NAME}"}[8s])) / sum(rate(istio_requests_total{reporter="destination",destination_workload=~"${NAME}|${NAME}-primary"}[8s]))`;
    const measured = await waitFor(
      'Prometheus to show the canary share, errors and latency',
      async () => {
        const [rate, latency, canaryShare] = await Promise.all([
          prometheus.query(successRate),
          prometheus.query(p99),
          prometheus.query(share),
        ]);
        const values = { rate: rate[0]?.value, latency: latency[0]?.value, share: canaryShare[0]?.value };
        return values.rate !== undefined && Math.abs(values.rate - 80) < 4 && values.latency && values.latency > 250
          ? values
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(measured.share).toBeGreaterThan(0.25);
    expect(measured.share).toBeLessThan(0.35);
    // the bucket holding 240..360 ms is (250, 500]; histogram_quantile interpolates inside it
    expect(measured.latency).toBeLessThanOrEqual(500);
  }, 60_000);

  it("fires the canary's error-ratio rule when the canary fails, and Alertmanager posts it (v4, bearer token) and then its resolution", async () => {
    if (!env?.alerting) throw new Error('environment not started with alerting');
    const { traffic, prometheus } = env;
    const { recorder } = env.alerting;
    const describe = () => `notifications:\n${recorder.summary()}\n${env?.logs(15)}`;
    // what Prometheus and Alertmanager hold, for a failure message
    const state = async () =>
      `\nPrometheus ALERTS: ${JSON.stringify(await prometheus.query('ALERTS'))}\nAlertmanager: ${await (await fetch(`${env?.alerting?.alertmanager.url}/api/v2/alerts`)).text()}`;
    const explained = async (error: Error) => {
      throw new Error(`${error.message}${await state()}`);
    };

    // Healthy first (the previous test made the canary fail): no alert pending or firing, the last notification
    // resolved, and so for longer than the rule's 5 s rate window, so the old fault cannot fire after `from`.
    traffic.set({ canary: { errorRatio: 0, latencyMs: 40 } });
    const anyAlert = async () => (await prometheus.query(`ALERTS{alertname="${CANARY_ALERT}"}`)).length;
    let quietSince: number | undefined;
    await waitFor(
      'no pending or firing alert, and nothing left to resolve, for 6 s',
      async () => {
        const quiet = (await anyAlert()) === 0 && (recorder.posts.at(-1)?.payload.status ?? 'resolved') === 'resolved';
        quietSince = quiet ? (quietSince ?? Date.now()) : undefined;
        return quietSince !== undefined && Date.now() - quietSince >= 6000 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, describe },
    ).catch(explained);
    const from = recorder.posts.length;

    traffic.set({ canary: { errorRatio: 0.5, latencyMs: 40 } });
    const faultAt = Date.now();
    const fired = await waitFor(
      'a firing notification',
      async () => recorder.posts.slice(from).find((p) => p.payload.status === 'firing'),
      { timeoutMs: 20_000, intervalMs: 50, describe },
    ).catch(explained);
    const alert = fired.payload.alerts[0];
    expect(fired.path).toBe('/alertmanager');
    expect(fired.authorization).toBe(`Bearer ${ALERTMANAGER_TOKEN}`);
    expect(fired.payload).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'release-bot',
      truncatedAlerts: 0,
    });
    expect(fired.payload.alerts).toHaveLength(1);
    expect(alert?.status).toBe('firing');
    expect(alert?.labels).toEqual({
      alertname: CANARY_ALERT,
      severity: 'critical',
      canary: NAME,
      destination_workload: NAME,
      destination_workload_namespace: NS,
    });
    expect(alert?.annotations.summary).toMatch(
      new RegExp(`^${NS}/${NAME}: the canary answers \\d+(\\.\\d+)?% of requests with 5xx$`),
    );
    // Go's zero time while firing; the rule started firing after the fault
    expect(alert?.endsAt).toBe('0001-01-01T00:00:00Z');
    expect(Date.parse(alert?.startsAt ?? '')).toBeGreaterThanOrEqual(faultAt - 1000);
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(alert?.generatorURL).toContain('/graph?g0.expr=');

    traffic.set({ canary: { errorRatio: 0, latencyMs: 40 } });
    const healedAt = Date.now();
    const resolved = await waitFor(
      'the resolved notification',
      async () =>
        recorder.posts
          .slice(from)
          .find(
            (p) =>
              p.payload.status === 'resolved' && p.payload.alerts.some((a) => a.fingerprint === alert?.fingerprint),
          ),
      { timeoutMs: 30_000, intervalMs: 100, describe },
    ).catch(explained);
    const ended = resolved.payload.alerts.find((a) => a.fingerprint === alert?.fingerprint);
    expect(ended).toMatchObject({ status: 'resolved', startsAt: alert?.startsAt });
    expect(Date.parse(ended?.endsAt ?? '')).toBeGreaterThanOrEqual(healedAt - 1000);
    // one firing notification for one firing: group_interval 1 s sends nothing new while it does not change
    expect(recorder.posts.slice(from).filter((p) => p.payload.status === 'firing' && p.at < resolved.at)).toHaveLength(
      1,
    );
    console.log(
      `alerting: fault -> Alertmanager's post ${fired.receivedAt - faultAt} ms; healed -> resolved post ${resolved.receivedAt - healedAt} ms`,
    );
  }, 90_000);
});
