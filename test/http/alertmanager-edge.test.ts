import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { alertmanagerHandler } from '../../functions/alertmanager/http-handler';
import { MemoryStore } from '../../shared/adapters/memory-store';
import { parseConfig } from '../../shared/config/load';
import { ALERT_LIMITS } from '../../shared/domain/alert';
import { MAX_ALERTMANAGER_BODY, readNotification } from '../../shared/http/alertmanager-edge';
import { goTime } from '../../shared/http/alertmanager-payload';
import type { CoreDeps } from '../../shared/usecases/deps';
import { aRun } from '../../testkit/builders';

// The constant-time compare is observed, not replaced.
jest.mock('node:crypto', () => {
  const actual = jest.requireActual('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});

const TOKEN = 'alertmanager-test-token';
const SERVICE = 'production/product-service';
const CONFIG = parseConfig(`
services:
  ${SERVICE}:
    channel: C0RELEASES1
`);

const alert = (overrides: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'CanaryErrorRate', namespace: 'production', canary: 'product-service', severity: 'critical' },
  annotations: { summary: 'error rate 12%' },
  startsAt: '2026-12-03T10:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint: 'a1b2c3d4e5f60718',
  ...overrides,
});
const notification = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: '{}:{alertname="CanaryErrorRate"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'release-bot',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  notification_reason: 'new',
  alerts,
  ...extra,
});

function event(body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, method = 'POST') {
  return {
    rawPath: '/alertmanager',
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method }, requestId: 'r1' },
  } as unknown as APIGatewayProxyEventV2;
}

async function setUp(store = new MemoryStore()) {
  const deps: CoreDeps = { config: CONFIG, store, queue: { send: async () => {} }, now: () => new Date() };
  await store.startRun(aRun({ service: SERVICE, state: 'progressing', phase: 'Progressing', weight: 10 }), 0);
  const failures: unknown[] = [];
  const handle = alertmanagerHandler(
    async () => deps,
    [TOKEN],
    async (e) => void failures.push(e),
  );
  return { handle, store, failures };
}

describe('POST /alertmanager', () => {
  it('acts on each alert and answers 200 with what it did', async () => {
    const { handle, store } = await setUp();
    const res = await handle(event(JSON.stringify(notification([alert(), alert({ fingerprint: 'ff', labels: {} })]))));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      alerts: [
        { fingerprint: 'a1b2c3d4e5f60718', service: SERVICE, outcome: 'rolling-back' },
        { fingerprint: 'ff', outcome: 'unmatched' },
      ],
    });
    expect((await store.getRun(SERVICE, 1))?.rollback?.by).toBe('alertmanager');
  });

  it('refuses a missing or wrong token with 401, comparing digests in constant time', async () => {
    const { handle, store } = await setUp();
    const spy = timingSafeEqual as jest.MockedFunction<typeof timingSafeEqual>;
    spy.mockClear();
    const body = JSON.stringify(notification([alert()]));
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token' },
      { authorization: TOKEN },
    ]) {
      const res = await handle(event(body, headers));
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('http_config.authorization');
    }
    // Two sha256 digests: equal lengths whatever the token's.
    expect(spy).toHaveBeenCalled();
    for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    expect((await handle(event(body, { Authorization: `bearer ${TOKEN}` }))).statusCode).toBe(200);
    expect((await store.getRun(SERVICE, 1))?.rollback).toBeDefined();
  });

  it('answers 405 for other methods, 413 past the body limit, 400 with a sentence for bad JSON and shapes', async () => {
    const { handle } = await setUp();
    expect((await handle(event('{}', undefined, 'GET'))).statusCode).toBe(405);
    const big = await handle(event(' '.repeat(MAX_ALERTMANAGER_BODY + 1)));
    expect(big.statusCode).toBe(413);
    const notJson = await handle(event('{'));
    expect([notJson.statusCode, notJson.body]).toEqual([400, expect.stringContaining('not JSON')]);
    const v3 = await handle(event(JSON.stringify(notification([alert()], { version: '3' }))));
    expect([v3.statusCode, v3.body]).toEqual([400, expect.stringContaining('version')]);
    const badTime = await handle(event(JSON.stringify(notification([alert({ startsAt: 'yesterday' })]))));
    expect([badTime.statusCode, badTime.body]).toEqual([400, expect.stringContaining('alerts.0: startsAt')]);
  });

  it('handles the valid alerts of a notification and refuses the broken ones in the answer', async () => {
    const { handle } = await setUp();
    const res = await handle(
      event(JSON.stringify(notification([alert({ status: 'pending', fingerprint: 'bad' }), alert()]))),
    );
    expect(res.statusCode).toBe(200);
    const { alerts } = JSON.parse(res.body);
    expect(alerts).toEqual([
      { fingerprint: 'a1b2c3d4e5f60718', service: SERVICE, outcome: 'rolling-back' },
      { fingerprint: 'bad', outcome: 'refused', reason: expect.stringContaining('alerts.0: status') },
    ]);
  });

  it('handles at most ALERT_LIMITS.perNotification alerts and refuses the rest', () => {
    const alerts = Array.from({ length: ALERT_LIMITS.perNotification + 3 }, (_, i) => alert({ fingerprint: `f${i}` }));
    const read = readNotification(event(JSON.stringify(notification(alerts))), [TOKEN]);
    expect(read.alerts).toHaveLength(ALERT_LIMITS.perNotification);
    expect(read.refused.map((r) => r.fingerprint)).toEqual(['f100', 'f101', 'f102']);
  });

  it("reads Go's nanosecond timestamps, drops the zero endsAt of a firing alert, keeps a resolved one's", () => {
    const read = readNotification(
      event(
        JSON.stringify(
          notification([
            alert(),
            alert({ status: 'resolved', endsAt: '2026-12-03T10:05:00.5+01:00', fingerprint: 'r' }),
            alert({ fingerprint: undefined, annotations: { description: 'from description' }, extra: { a: 1 } }),
          ]),
        ),
      ),
      [TOKEN],
    );
    expect(read.alerts[0]).toMatchObject({
      startsAt: '2026-12-03T10:00:00.123Z',
      severity: 'critical',
      name: 'CanaryErrorRate',
    });
    expect(read.alerts[0]).not.toHaveProperty('endsAt');
    expect(read.alerts[1]).toMatchObject({ status: 'resolved', endsAt: '2026-12-03T09:05:00.500Z' });
    expect(read.alerts[2]?.summary).toBe('from description');
    expect(read.alerts[2]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(goTime('0001-01-01T00:00:00Z')).toBeUndefined();
  });

  it('answers 500 (so Alertmanager retries) only when the work failed inside the bot, and counts it', async () => {
    const store = new MemoryStore();
    const { handle, failures } = await setUp(store);
    jest.spyOn(store, 'getService').mockRejectedValueOnce(new Error('store down'));
    const res = await handle(event(JSON.stringify(notification([alert()]))));
    expect([res.statusCode, res.body]).toEqual([500, expect.stringContaining('will retry')]);
    expect(failures).toHaveLength(1);
  });

  it('never answers a 5xx for random or mutated input, and always says something', async () => {
    const { handle } = await setUp();
    const mutated = fc.oneof(
      fc.string(),
      fc.json(),
      fc.anything().map((v) => JSON.stringify(notification([v]))),
      fc
        .record({ status: fc.string(), startsAt: fc.string(), labels: fc.anything() })
        .map((a) => JSON.stringify(notification([alert(a)]))),
      fc.anything().map((v) => JSON.stringify({ version: '4', alerts: v })),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (body) => {
        const res = await handle(event(body));
        expect(res.statusCode).toBeLessThan(500);
        expect(res.body.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
