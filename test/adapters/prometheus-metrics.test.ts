import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusMetrics } from '../../shared/adapters/prometheus-metrics';
import { DEFAULT_QUERIES, renderQuery } from '../../shared/domain/queries';
import type { MetricName } from '../../shared/domain/snapshot';
import { istioOpenMetrics, type WorkloadTraffic } from '../../testkit/istio-series';
import { freePort, type LocalPrometheus, startPrometheus } from '../../testkit/prometheus';

const NAMESPACE = 'production';
const CANARY = 'product-service';
const PRIMARY = 'product-service-primary';
const IDLE = 'idle-service';
const STEP_SECONDS = 10;
const MINUTE = 60_000;

/*
 * The truth. Counters grow linearly, so rate() gives these exactly once its 1m window is inside the data.
 * p95 by histogram_quantile's rule (rank = 0.95 of all requests, linear inside the bucket that holds it):
 *   canary:  cumulative 0.5 (le 50), 0.8 (le 100), 1.0 (le 250) -> 100 + (250 - 100) * (0.95 - 0.8) / 0.2 = 212.5 ms
 *   primary: cumulative 0.6 (le 25), 0.9 (le 50),  1.0 (le 100) ->  50 + (100 -  50) * (0.95 - 0.9) / 0.1 =  75 ms
 */
const WORKLOADS: WorkloadTraffic[] = [
  { name: CANARY, rps: 20, errorRatio: 0.02, latency: { 50: 0.5, 100: 0.3, 250: 0.2 } },
  { name: PRIMARY, rps: 80, errorRatio: 0.001, latency: { 25: 0.6, 50: 0.3, 100: 0.1 } },
  { name: IDLE, rps: 0, errorRatio: 0, latency: { 50: 1 } },
];

// 30 minutes of samples every 10 s, the last one about a minute ago.
const TO = new Date(Math.floor((Date.now() - MINUTE) / (STEP_SECONDS * 1000)) * STEP_SECONDS * 1000);
const FROM = new Date(TO.getTime() - 30 * MINUTE);
// Between two samples, well inside the data.
const AT = new Date(TO.getTime() - 5 * MINUTE - 3_000);

const query = (metric: MetricName, workload: string) =>
  renderQuery(DEFAULT_QUERIES[metric], { namespace: NAMESPACE, workload, interval: '1m' });

const canaryRequests = `istio_requests_total{destination_workload_namespace="${NAMESPACE}",destination_workload="${CANARY}"}`;
const nulls = (length: number) => Array.from({ length }, () => null);

describe('Class: PrometheusMetrics', () => {
  let workDir: string;
  let prometheus: LocalPrometheus;
  let metrics: PrometheusMetrics;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'prometheus-metrics-test-'));
    const blocksFrom = join(workDir, 'istio.om');
    await writeFile(
      blocksFrom,
      istioOpenMetrics({ namespace: NAMESPACE, workloads: WORKLOADS, from: FROM, to: TO, stepSeconds: STEP_SECONDS }),
    );
    prometheus = await startPrometheus({ blocksFrom });
    metrics = new PrometheusMetrics({ baseUrl: prometheus.url });
  });

  afterAll(async () => {
    await prometheus?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  describe('Property: description', () => {
    it('names the Prometheus it reads', () => {
      // Arrange
      const source = new PrometheusMetrics({ baseUrl: 'http://prometheus.istio-system:9090' });

      // Act
      const description = source.description;

      // Assess
      expect(description).toBe('prometheus http://prometheus.istio-system:9090');
    });
  });

  describe('Method: instant', () => {
    it.each([
      { metric: 'successRate', workload: CANARY, expected: 98, tolerance: 0.01 },
      { metric: 'errorRate', workload: CANARY, expected: 2, tolerance: 0.01 },
      { metric: 'requestRate', workload: CANARY, expected: 20, tolerance: 20 * 0.005 },
      { metric: 'p95LatencyMs', workload: CANARY, expected: 212.5, tolerance: 1 },
      { metric: 'successRate', workload: PRIMARY, expected: 99.9, tolerance: 0.01 },
      { metric: 'errorRate', workload: PRIMARY, expected: 0.1, tolerance: 0.01 },
      { metric: 'requestRate', workload: PRIMARY, expected: 80, tolerance: 80 * 0.005 },
      { metric: 'p95LatencyMs', workload: PRIMARY, expected: 75, tolerance: 1 },
    ] as const)(
      'reads $metric of $workload as $expected (± $tolerance)',
      async ({ metric, workload, expected, tolerance }) => {
        // Arrange
        const promql = query(metric, workload);

        // Act
        const reading = await metrics.instant(promql, AT);

        // Assess
        expect(reading).toEqual({ value: expect.any(Number) });
        expect(reading.value).toBeGreaterThanOrEqual(expected - tolerance);
        expect(reading.value).toBeLessThanOrEqual(expected + tolerance);
      },
    );

    it('explains NaN when a workload had no requests in the interval', async () => {
      // Arrange
      const promql = query('successRate', IDLE);

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({ value: null, reason: 'no data: NaN (no requests in the interval)' });
    });

    it('explains NaN from 0/0', async () => {
      // Arrange
      const promql = '0/0';

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({ value: null, reason: 'no data: NaN (no requests in the interval)' });
    });

    it('explains +Inf from 1/0', async () => {
      // Arrange
      const promql = '1/0';

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({ value: null, reason: 'no data: +Inf' });
    });

    it('reads a scalar', async () => {
      // Arrange
      const promql = 'scalar(vector(42.5))';

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({ value: 42.5 });
    });

    it.each([
      { case: 'a workload with no series', promql: query('successRate', 'no-such-service'), at: AT },
      {
        case: 'a time before the workload existed',
        promql: query('requestRate', CANARY),
        at: new Date(FROM.getTime() - 60 * MINUTE),
      },
    ])('explains an empty result for $case', async ({ promql, at }) => {
      // Arrange
      const source = metrics;

      // Act
      const reading = await source.instant(promql, at);

      // Assess
      expect(reading).toEqual({
        value: null,
        reason: 'no data: the query returned no series (is the workload receiving traffic?)',
      });
    });

    it('refuses several series from a query that does not aggregate', async () => {
      // Arrange: one series per response code, 200 and 503.
      const promql = `rate(${canaryRequests}[1m])`;

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({ value: null, reason: 'several series returned (2); the query must aggregate to one' });
    });

    it("reports an execution error (422) with Prometheus' message", async () => {
      // Arrange: label_replace compiles its regular expression when it runs.
      const promql = `label_replace(${canaryRequests}, "dst", "$1", "src", "(")`;

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading).toEqual({
        value: null,
        reason: 'Prometheus rejected the query (422 execution): invalid regular expression in label_replace(): (',
      });
    });

    it("reports a query that does not parse (400) with Prometheus' message", async () => {
      // Arrange
      const promql = 'sum(rate(';

      // Act
      const reading = await metrics.instant(promql, AT);

      // Assess
      expect(reading.value).toBeNull();
      expect(reading).toEqual({
        value: null,
        reason: expect.stringMatching(
          /^Prometheus rejected the query \(400 bad_data\): .*parse error: unclosed left parenthesis$/,
        ),
      });
    });

    it('reports a Prometheus that was stopped as unreachable', async () => {
      // Arrange
      const stopped = await startPrometheus();
      await stopped.stop();
      const source = new PrometheusMetrics({ baseUrl: stopped.url });

      // Act
      const reading = await source.instant('vector(1)', AT);

      // Assess
      expect(reading).toEqual({
        value: null,
        reason: `Prometheus is unreachable at ${stopped.url}: connect ECONNREFUSED`,
      });
    });

    it('gives up on a Prometheus that never answers after its timeout', async () => {
      // Arrange: a server that accepts connections and says nothing.
      const silent = await listenSilently();
      const source = new PrometheusMetrics({ baseUrl: silent.url, timeoutMs: 300 });
      const started = Date.now();

      // Act
      const reading = await source.instant('vector(1)', AT);
      const elapsed = Date.now() - started;
      await silent.close();

      // Assess
      expect(reading).toEqual({ value: null, reason: 'Prometheus timed out after 300 ms' });
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1500);
    });

    it.each([
      {
        case: 'an HTML page',
        status: 200,
        body: '<html>Sign in</html>',
        reason: 'http://HOST answered something that is not JSON (is it Prometheus?)',
      },
      {
        case: 'JSON of another shape',
        status: 200,
        body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"lots"]}]}}',
        reason: `Prometheus sent an answer that is not its API's JSON: "lots" is not a number at data.result.0.value.1`,
      },
      {
        case: 'a proxy error',
        status: 502,
        body: 'upstream connect error',
        reason: 'Prometheus answered HTTP 502 Bad Gateway',
      },
      {
        case: 'a server-side timeout',
        status: 503,
        body: '{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}',
        reason: 'Prometheus timed out after 2000 ms',
      },
    ])('explains $case instead of a value', async ({ status, body, reason }) => {
      // Arrange
      const stub = await listenAnswering(status, body);
      const source = new PrometheusMetrics({ baseUrl: stub.url });

      // Act
      const reading = await source.instant('vector(1)', AT);
      await stub.close();

      // Assess
      expect(reading).toEqual({ value: null, reason: reason.replace('http://HOST', stub.url) });
    });

    it('posts the query form-encoded with its time and a server-side timeout', async () => {
      // Arrange
      const stub = await listenAnswering(200, '{"status":"success","data":{"resultType":"scalar","result":[1,"7"]}}');
      const source = new PrometheusMetrics({ baseUrl: stub.url, timeoutMs: 1500 });

      // Act
      const reading = await source.instant('sum(up{job="a b"})', new Date('2025-03-04T10:00:00.250Z'));
      await stub.close();

      // Assess
      expect(reading).toEqual({ value: 7 });
      expect(stub.requests).toEqual([
        {
          method: 'POST',
          url: '/api/v1/query',
          contentType: 'application/x-www-form-urlencoded',
          form: { query: 'sum(up{job="a b"})', time: '1741082400.250', timeout: '1500ms' },
        },
      ]);
    });

    it('answers an invalid date with a reason', async () => {
      // Arrange
      const at = new Date('not a date');

      // Act
      const reading = await metrics.instant('vector(1)', at);

      // Assess
      expect(reading).toEqual({ value: null, reason: 'no data: the evaluation time is not a valid date' });
    });
  });

  describe('Method: range', () => {
    it.each([
      { metric: 'requestRate', workload: CANARY, expected: 20, digits: 1 },
      { metric: 'requestRate', workload: PRIMARY, expected: 80, digits: 1 },
      { metric: 'p95LatencyMs', workload: CANARY, expected: 212.5, digits: 0 },
      { metric: 'errorRate', workload: PRIMARY, expected: 0.1, digits: 2 },
    ] as const)(
      'reads $metric of $workload as $expected at every minute of the window',
      async ({ metric, workload, expected, digits }) => {
        // Arrange: from the first minute with a full 1m window to the last sample: 30 points.
        const start = new Date(FROM.getTime() + MINUTE);

        // Act
        const points = await metrics.range(query(metric, workload), start, TO, 60);

        // Assess
        expect(points).toEqual(Array.from({ length: 30 }, () => expect.closeTo(expected, digits)));
      },
    );

    it('aligns points to the steps and leaves null where the data has not started', async () => {
      // Arrange: rate() needs two samples in its window; the first sample is at FROM.
      const start = new Date(FROM.getTime() - MINUTE);
      const end = new Date(FROM.getTime() + MINUTE);

      // Act
      const points = await metrics.range(query('successRate', CANARY), start, end, 30);

      // Assess
      expect(points).toEqual([null, null, null, expect.closeTo(98, 2), expect.closeTo(98, 2)]);
    });

    it('leaves null after the last sample', async () => {
      // Arrange
      const start = new Date(TO.getTime() - MINUTE);
      const end = new Date(TO.getTime() + 2 * MINUTE);

      // Act
      const points = await metrics.range(query('successRate', PRIMARY), start, end, 60);

      // Assess
      expect(points).toEqual([expect.closeTo(99.9, 2), expect.closeTo(99.9, 2), null, null]);
    });

    it('counts the last step only when it fits before the end', async () => {
      // Arrange: 150 s at 60 s steps: points at 0, 60 and 120 s.
      const start = new Date(FROM.getTime() + 5 * MINUTE);
      const end = new Date(start.getTime() + 150_000);

      // Act
      const points = await metrics.range(query('requestRate', CANARY), start, end, 60);

      // Assess
      expect(points).toEqual([expect.closeTo(20, 1), expect.closeTo(20, 1), expect.closeTo(20, 1)]);
    });

    it('gives null for NaN points of a workload without traffic', async () => {
      // Arrange
      const start = new Date(FROM.getTime() + 5 * MINUTE);
      const end = new Date(FROM.getTime() + 9 * MINUTE);

      // Act
      const points = await metrics.range(query('successRate', IDLE), start, end, 60);

      // Assess
      expect(points).toEqual(nulls(5));
    });

    it.each([
      { case: 'a query that does not parse', promql: 'sum(rate(' },
      { case: 'several series', promql: `rate(${canaryRequests}[1m])` },
      { case: 'an execution error', promql: `label_replace(${canaryRequests}, "dst", "$1", "src", "(")` },
    ])('gives nulls for every step on $case', async ({ promql }) => {
      // Arrange
      const start = new Date(FROM.getTime() + 5 * MINUTE);
      const end = new Date(FROM.getTime() + 10 * MINUTE);

      // Act
      const points = await metrics.range(promql, start, end, 30);

      // Assess
      expect(points).toEqual(nulls(11));
    });

    it('gives nulls for every step when Prometheus is unreachable', async () => {
      // Arrange
      const source = new PrometheusMetrics({ baseUrl: `http://127.0.0.1:${await freePort()}` });

      // Act
      const points = await source.range('vector(1)', FROM, new Date(FROM.getTime() + 10 * MINUTE), 60);

      // Assess
      expect(points).toEqual(nulls(11));
    });

    it('gives nulls for every step when Prometheus never answers', async () => {
      // Arrange
      const silent = await listenSilently();
      const source = new PrometheusMetrics({ baseUrl: silent.url, timeoutMs: 300 });

      // Act
      const points = await source.range('vector(1)', FROM, new Date(FROM.getTime() + 2 * MINUTE), 60);
      await silent.close();

      // Assess
      expect(points).toEqual(nulls(3));
    });

    it('gives no points when the end is before the start', async () => {
      // Arrange
      const end = new Date(FROM.getTime() - MINUTE);

      // Act
      const points = await metrics.range('vector(1)', FROM, end, 60);

      // Assess
      expect(points).toEqual([]);
    });
  });
});

/** A TCP server that accepts connections and never answers. */
async function listenSilently(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const url = await listen(server);
  return {
    url,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface RecordedRequest {
  method: string | undefined;
  url: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

/** An HTTP server that answers every request with `status` and `body`, and records what it was sent. */
async function listenAnswering(
  status: number,
  body: string,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createHttpServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => {
      requests.push({
        method: request.method,
        url: request.url,
        contentType: request.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(text)),
      });
      response.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/html' });
      response.end(body);
    });
  });
  const url = await listen(server);
  return {
    url,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port was assigned');
  return `http://127.0.0.1:${address.port}`;
}
