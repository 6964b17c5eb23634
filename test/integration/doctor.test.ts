import { type Harness, startHarness, TEST_CONFIG } from '../../testkit/bot';

/**
 * `/canary doctor` through the local bot: the command is acknowledged at once and the worker reads the cluster
 * (here one whose kubeconfig does not exist, so the report says the Canary could not be read), then tells the
 * person who asked. The checks themselves are in test/domain/doctor.test.ts; against a real apiserver with the
 * bot's RBAC in test/e2e/rbac.test.ts.
 */
const CONFIG = `${TEST_CONFIG}
clusters:
  prod: { kubeconfig: does-not-exist.kubeconfig }
`.replace('    channel: C0PAYMENTS1\n', '    channel: C0PAYMENTS1\n    cluster: prod\n');

describe('/canary doctor on the local bot', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(CONFIG);
  });
  afterAll(() => h.stop());

  it('acknowledges at once, then tells the person the report, read by the worker', async () => {
    const reply = await h.command('doctor payment-service', 'U0ANYONE01');
    const told = h.slack.called('chat.postEphemeral').at(-1);

    expect(JSON.parse(reply.text).text).toBe(
      "Checking production/payment-service's Canary and mesh in cluster prod...",
    );
    expect(told?.args.user).toBe('U0ANYONE01');
    expect(String(told?.args.text)).toMatch(/^:x: \*Doctor for `production\/payment-service`\* \(cluster `prod`\)/);
    expect(String(told?.args.text)).toContain('Canary production/payment-service*: cannot use cluster');
  });

  it("runs the same report for npm start's banner", async () => {
    const report = await h.bot.doctor('production/payment-service');

    expect(report).toMatchObject({ service: 'production/payment-service', cluster: 'prod' });
    expect(report.checks[0]?.found).toMatch(/^cannot use cluster/);
  });

  it('answers a service that names no cluster without queueing anything', async () => {
    const before = h.slack.called('chat.postEphemeral').length;
    const reply = await h.command('doctor product-service', 'U0ANYONE01');

    expect(JSON.parse(reply.text).text).toContain(
      'production/product-service names no cluster (services.production/product-service.cluster)',
    );
    expect(h.slack.called('chat.postEphemeral')).toHaveLength(before);
  });
});
