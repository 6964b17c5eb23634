import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIONS } from '../../shared/slack/blocks';
import { buttonValue, type Harness, payload, startHarness } from '../../testkit/bot';
import { istioOpenMetrics } from '../../testkit/istio-series';
import { type LocalPrometheus, startPrometheus } from '../../testkit/prometheus';

// Recorded traffic ends 30 s ago; the bot's clock runs 90 s behind, so every 1m rate falls inside the data.
const LAG_MS = 90_000;
const LATENCY = { 50: 0.5, 100: 0.3, 250: 0.2 }; // p95 = 100 + (250-100) * (0.95-0.8)/0.2 = 212.5 ms

const config = (prometheusUrl: string) => `
prometheus: { url: "${prometheusUrl}", timeout: 2s }
services:
  production/product-service:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1] }
    gates: { confirm-traffic-increase: slo, confirm-promotion: manual }
    metrics: { window: 5m, step: 30s }
  production/payment-service:
    channel: C0PAYMENTS1
    approvers: { users: [U0APPROVER1] }
    gates: { confirm-traffic-increase: slo }
  production/search-service:
    channel: C0SEARCH001
    gates: { confirm-promotion: slo }
`;

describe('Snapshots from a real Prometheus in gates, requests, the thread and the audit trail', () => {
  let prometheus: LocalPrometheus;
  let h: Harness;

  beforeAll(async () => {
    const now = Date.now();
    const file = join(mkdtempSync(join(tmpdir(), 'release-bot-series-')), 'istio.om');
    writeFileSync(
      file,
      istioOpenMetrics({
        namespace: 'production',
        workloads: [
          { name: 'product-service', rps: 20, errorRatio: 0.002, latency: LATENCY },
          { name: 'product-service-primary', rps: 80, errorRatio: 0.001, latency: LATENCY },
          { name: 'payment-service', rps: 10, errorRatio: 0.03, latency: LATENCY },
          { name: 'payment-service-primary', rps: 40, errorRatio: 0.001, latency: LATENCY },
          { name: 'search-service', rps: 15, errorRatio: 0, latency: LATENCY },
          { name: 'search-service-primary', rps: 45, errorRatio: 0, latency: LATENCY },
        ],
        from: new Date(now - 20 * 60_000),
        to: new Date(now - 30_000),
        stepSeconds: 10,
      }),
    );
    prometheus = await startPrometheus({ blocksFrom: file });
    h = await startHarness(config(prometheus.url), () => new Date(Date.now() - LAG_MS));
  }, 60_000);

  afterAll(async () => {
    await h.stop();
    await prometheus.stop();
  });

  it('opens an SLO-guarded traffic step while every SLO passes', async () => {
    const answer = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));

    expect(answer.status).toBe(200);
    expect(answer.text).toContain('all SLOs pass');
  });

  it('opens an SLO-guarded gate for a canary without a single error (Istio then has no 5xx series at all)', async () => {
    const answer = await h.flagger('confirm-promotion', payload('Progressing', 'rev-1', {}, 'search-service'));
    await h.bot.queue.drain();
    const snapshot = await h.bot.deps.store.getSnapshot('production/search-service', 1, 'latest');

    expect(answer.status).toBe(200);
    expect(snapshot?.metrics.find((m) => m.metric === 'errorRate')?.canary).toEqual({ value: 0 });
    expect(snapshot?.metrics.find((m) => m.metric === 'successRate')?.canary).toEqual({ value: 100 });
  });

  it('keeps an SLO-guarded step closed when the canary fails, naming what fails', async () => {
    const answer = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1', {}, 'payment-service'));

    expect(answer.status).toBe(403);
    expect(answer.text).toContain('waits for passing SLOs: Success rate and error rate fail their SLOs');
  });

  it('attaches real numbers and a chart to the approval request, and keeps them in the audit trail', async () => {
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
    const request = h.slack
      .called('chat.postMessage')
      .find((c) => JSON.stringify(c.args.blocks ?? []).includes(ACTIONS.approve));
    const blocks = JSON.stringify(request?.args.blocks);

    expect(String(request?.args.text)).toContain('(All SLOs pass)');
    expect(blocks).toContain('99.8 %'); // canary success rate: 0.2 % errors
    expect(blocks).toContain('99.9 %'); // primary
    expect(blocks).toContain('canary `212 ms`'); // p95 212.5 by histogram_quantile's interpolation
    expect(blocks).toContain('canary 20 % / primary 80 %');
    const chart = [...h.slack.uploads.values()].find((u) => u.completed && u.channel === 'C0RELEASES1');
    expect(chart?.bytes?.subarray(1, 4).toString()).toBe('PNG');
    expect(chart?.threadTs).toBe(request?.args.thread_ts);

    await h.click(ACTIONS.approve, buttonValue(h.slack, ACTIONS.approve), 'U0APPROVER1');
    const audit = await h.bot.deps.store.listAudit('production/product-service', 20);
    const approval = audit.find((a) => a.action === 'approve' && a.outcome === 'accepted');
    expect(approval?.evidence).toContain('All SLOs pass: Success rate: canary 99.8 %, primary 99.9 %');
    expect(approval?.evidence).toContain(prometheus.url);
  });

  it('shows the latest snapshot in the release status message', async () => {
    const root = h.slack.called('chat.postMessage').find((c) => c.args.channel === 'C0RELEASES1' && !c.args.thread_ts);
    const edits = h.slack.called('chat.update').filter((c) => c.args.ts === root?.result.ts);
    const latest = JSON.stringify(edits.at(-1)?.args.blocks ?? root?.args.blocks);

    expect(latest).toContain('Success rate');
    expect(latest).toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  it('answers /canary snapshot ephemerally from the worker', async () => {
    const reply = await h.command('snapshot payment-service', 'U0ANYONE01');
    const told = h.slack.called('chat.postEphemeral').at(-1);

    expect(JSON.parse(reply.text).text).toContain('Taking a snapshot of production/payment-service');
    expect(told?.args.user).toBe('U0ANYONE01');
    expect(String(told?.args.text)).toContain('Success rate and error rate fail their SLOs');
    expect(JSON.stringify(told?.args.blocks)).toContain('97.0 %');
  });

  it('keeps SLO-guarded gates closed while Prometheus is down, saying so', async () => {
    await prometheus.stop();

    const answer = await h.flagger('confirm-traffic-increase', payload('Progressing', 'rev-1'));

    expect(answer.status).toBe(403);
    expect(answer.text).toMatch(/No data for .*Prometheus is unreachable/);
  });
});
