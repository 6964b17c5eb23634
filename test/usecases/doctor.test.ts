import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { RunbookCluster } from '../../shared/ports/cluster';
import { doctorMessage } from '../../shared/slack/doctor-message';
import { runDoctor } from '../../shared/usecases/doctor';
import { aPolicy } from '../../testkit/builders';
import { FakeCluster } from '../support/fake-cluster';

const SERVICE = 'production/product-service';
const BOT = 'https://bot.example.com';
const webhook = (type: string) => ({ name: type, type, url: `${BOT}/flagger/${type}`, metadata: { token: 't' } });

function world(policy = aPolicy({ cluster: 'prod' })) {
  const cluster = new FakeCluster();
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, policy]]),
    clusters: { prod: { kubeconfig: 'kubeconfig' } },
    ...sectionDefaults(),
  };
  const deps = { config, clusters: new Map<string, RunbookCluster>([['prod', cluster]]) };
  return { cluster, deps };
}

describe('/canary doctor: runDoctor', () => {
  it('reads the Canary, then the objects Flagger named after its service, and checks them', async () => {
    const { cluster, deps } = world();
    cluster.objects.set('Canary/production/product-service', {
      spec: {
        service: { name: 'products' },
        analysis: {
          stepWeight: 10,
          maxWeight: 50,
          webhooks: ['confirm-traffic-increase', 'confirm-promotion', 'rollback'].map(webhook),
        },
      },
      status: { phase: 'Progressing' },
    });
    cluster.objects.set('VirtualService/production/products', { spec: { http: [{ route: [] }] } });
    cluster.destinationRules = [
      { metadata: { name: 'products-primary' }, spec: {} },
      { metadata: { name: 'products-canary' }, spec: {} },
    ];
    cluster.peerAuthentications = [{ spec: { mtls: { mode: 'STRICT' } } }];

    const report = await runDoctor(deps, SERVICE);

    expect(report.cluster).toBe('prod');
    expect(report.checks[0]).toEqual({ status: 'pass', subject: `Canary ${SERVICE}`, found: 'found (Progressing)' });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.map((c) => c.subject)).toEqual(
      expect.arrayContaining(['VirtualService products', 'DestinationRule products-primary', 'event webhook']),
    );
    expect(cluster.calls.map((c) => `${c.verb} ${c.target}`)).toEqual([
      'read Canary/production/product-service',
      'read VirtualService/production/products',
      'listDestinationRules production/products',
      'listPeerAuthentications production',
    ]);
    // Read-only: nothing in the cluster changed.
    expect(cluster.changes()).toEqual([]);
  });

  it('stops at the Canary when it cannot be read, saying why', async () => {
    const { deps } = world();

    const report = await runDoctor(deps, SERVICE);

    expect(report.checks).toEqual([
      {
        status: 'fail',
        subject: `Canary ${SERVICE}`,
        found: 'Canary product-service not found',
        fix: 'the doctor reads the Canary first: fix this and ask again',
      },
    ]);
  });

  it('answers a service without a usable cluster with one line', async () => {
    const { deps } = world(aPolicy({ cluster: 'elsewhere' }));

    const report = await runDoctor(deps, SERVICE);

    expect(report.checks).toEqual([expect.objectContaining({ status: 'fail', found: 'elsewhere is not usable' })]);
  });
});

describe('/canary doctor: the message', () => {
  it('lists fails first and escapes what came from the cluster (no mention, link or markup gets through)', () => {
    const message = doctorMessage({
      service: SERVICE,
      cluster: 'prod',
      checks: [
        { status: 'pass', subject: 'VirtualService web', found: 'exists' },
        { status: 'fail', subject: '<!channel> webhook', found: 'calls <https://evil|click> *now*', fix: 'remove it' },
        { status: 'warn', subject: 'mTLS', found: 'PERMISSIVE', fix: 'apply STRICT' },
      ],
    });
    const lines = message.text.split('\n');

    expect(lines[0]).toBe(
      ':x: *Doctor for `production/product-service`* (cluster `prod`): 1 to fix, 1 to look at, 1 fine',
    );
    expect(lines[1]).toMatch(/^:x: /);
    expect(lines[2]).toMatch(/^:warning: \*mTLS\*: PERMISSIVE → apply STRICT$/);
    expect(lines[3]).toBe(':white_check_mark: *VirtualService web*: exists');
    expect(message.text).not.toContain('<!channel>');
    expect(message.text).not.toContain('<https://evil');
  });
});
