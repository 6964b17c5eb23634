import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { judgeMetric, judgeSnapshot, type MetricSnapshot, type Snapshot } from '../../shared/domain/snapshot';
import { snapshotBlocks, snapshotText } from '../../shared/slack/snapshot-blocks';
import { failingSnapshot, noDataSnapshot, passingSnapshot } from '../../testkit/snapshots';

interface TextObject {
  type: string;
  text: string;
}
interface Block {
  type: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: TextObject[];
}

const blocksOf = (snapshot: Snapshot): Block[] => snapshotBlocks(snapshot) as Block[];
const textOf = (blocks: Block[]): string =>
  blocks
    .flatMap((b) => [
      b.text?.text ?? '',
      ...(b.fields ?? []).map((f) => f.text),
      ...(b.elements ?? []).map((e) => e.text),
    ])
    .join('\n');
const headlineOf = (blocks: Block[]): string => blocks[0]?.text?.text.split('\n')[0] ?? '';

/** Slack's documented Block Kit limits for what a snapshot uses, as a list of broken ones (empty when valid). */
function limitViolations(blocks: Block[], text: string): string[] {
  const broken: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) broken.push(what);
  };
  check(text.trim().length > 0 && text.length <= 40_000, 'text fallback empty or longer than 40000');
  // A snapshot is appended to other messages, which may hold up to 50 blocks in all: it keeps to 5.
  check(blocks.length <= 5, `${blocks.length} blocks (a snapshot keeps to 5)`);
  for (const [i, block] of blocks.entries()) {
    check(['section', 'context'].includes(block.type), `block ${i} is a ${block.type}`);
    if (block.type === 'section') {
      check(block.text !== undefined || (block.fields?.length ?? 0) > 0, `section ${i} is empty`);
      check((block.text?.text.length ?? 0) <= 3000, `section ${i} text > 3000`);
      check((block.fields?.length ?? 0) <= 10, `section ${i} has more than 10 fields`);
      for (const f of block.fields ?? []) check(f.text.length <= 2000, `section ${i} field > 2000`);
    }
    if (block.type === 'context') {
      check((block.elements?.length ?? 0) > 0 && (block.elements?.length ?? 0) <= 10, `context ${i} elements`);
      for (const e of block.elements ?? []) check(e.text.length <= 3000, `context ${i} element text > 3000`);
    }
  }
  return broken;
}

describe('Function: snapshotBlocks', () => {
  it('renders the failing fixture snapshot as the reviewed Block Kit JSON', () => {
    // Arrange
    const snapshot = failingSnapshot();
    const golden = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'snapshot-blocks.json'), 'utf8'));

    // Act
    const blocks = snapshotBlocks(snapshot);

    // Assess
    expect(blocks).toEqual(golden);
  });

  it('keeps within Slack limits for the fixtures and for a snapshot with many metrics and very long reasons', () => {
    // Arrange
    const long = 'x'.repeat(5000);
    const base = noDataSnapshot();
    const metrics: MetricSnapshot[] = Array.from({ length: 40 }, () => ({
      metric: 'p95LatencyMs',
      canary: { value: null, reason: long },
      primary: { value: null, reason: `${long}y` },
      slo: { op: '<', value: 500 },
      verdict: 'no-data',
      trend: { canary: Array(500).fill(1), primary: Array(500).fill(2) },
    }));
    const huge: Snapshot = { ...base, service: `payments/${'a'.repeat(4000)}`, source: long, metrics };
    const snapshots = [failingSnapshot(), passingSnapshot(), noDataSnapshot(), huge];

    // Act
    const broken = snapshots.flatMap((s) => limitViolations(blocksOf(s), snapshotText(s)));

    // Assess
    expect(broken).toEqual([]);
  });

  it('names every failing metric in the headline, failures before gaps', () => {
    // Arrange
    const snapshot = failingSnapshot();
    const latency = snapshot.metrics.find((m) => m.metric === 'p95LatencyMs') as MetricSnapshot;
    latency.canary = { value: null, reason: 'Prometheus returned 503' };
    latency.verdict = 'no-data';

    // Act
    const one = headlineOf(
      blocksOf({ ...snapshot, metrics: snapshot.metrics.filter((m) => m.metric !== 'errorRate') }),
    );
    const two = headlineOf(blocksOf(snapshot));

    // Assess
    expect(one).toBe(':x: *Success rate fails its SLO; no data for p95 latency*');
    expect(two).toBe(':x: *Success rate and error rate fail their SLOs; no data for p95 latency*');
  });

  it('says all SLOs pass, and where the traffic split came from, when they do', () => {
    // Arrange
    const snapshot = passingSnapshot();

    // Act
    const summary = blocksOf(snapshot)[0]?.text?.text;

    // Assess
    expect(summary).toBe(
      ':white_check_mark: *All SLOs pass*\nTraffic: canary 30 % / primary 70 % (from VirtualService weights)',
    );
  });

  it('shows missing data with its reason, in the headline and on the metric line', () => {
    // Arrange
    const snapshot = noDataSnapshot();

    // Act
    const blocks = blocksOf(snapshot);
    const lines = blocks[1]?.text?.text.split('\n') ?? [];

    // Assess
    expect(headlineOf(blocks)).toBe(':grey_question: *No data for p95 latency: Prometheus query timed out after 5 s*');
    expect(blocks[0]?.text?.text).toContain('Traffic: split unknown');
    expect(lines).toEqual([
      ':white_check_mark: *Success rate*  canary `99.8 %`  primary `99.9 %`  SLO ≥ 99 %  `··▁····▁···▁`',
      ':grey_question: *p95 latency*  canary and primary *no data* (Prometheus query timed out after 5 s)  SLO &lt; 500 ms',
      ':information_source: *Request rate*  canary *no data* (no series for the canary pods)  primary `49.6 req/s`',
    ]);
  });

  it('gives a different reason for each side when they differ, and a one-reason headline only when all gaps share it', () => {
    // Arrange
    const snapshot = noDataSnapshot();
    const [success, latency] = snapshot.metrics as [MetricSnapshot, MetricSnapshot];
    latency.primary = { value: null, reason: 'no series' };
    success.canary = { value: null, reason: 'NaN: no requests' };
    success.verdict = judgeMetric(success.canary, success.slo);
    const judged = { ...snapshot, verdict: judgeSnapshot(snapshot.metrics) };

    // Act
    const blocks = blocksOf(judged);

    // Assess
    expect(headlineOf(blocks)).toBe(':grey_question: *No data for success rate and p95 latency*');
    expect(blocks[1]?.text?.text).toContain(
      'canary *no data* (Prometheus query timed out after 5 s)  primary *no data* (no series)',
    );
    expect(blocks[1]?.text?.text).toContain(':grey_question: *Success rate*  canary *no data* (NaN: no requests)');
  });

  it('shows enough decimals that a value just under the SLO does not read as meeting it', () => {
    // Arrange
    const snapshot = passingSnapshot();
    const success = snapshot.metrics[0] as MetricSnapshot;
    success.canary = { value: 98.96 };
    success.verdict = judgeMetric(success.canary, success.slo);

    // Act
    const line = blocksOf({ ...snapshot, verdict: judgeSnapshot(snapshot.metrics) })[1]?.text?.text.split('\n')[0];

    // Assess
    expect(line).toMatch(/^:x: \*Success rate\* {2}canary `98\.96 %` {2}primary `99\.9 %`/);
  });

  it('escapes what Slack would read as markup in reasons, service and source', () => {
    // Arrange
    const snapshot = noDataSnapshot();
    const latency = snapshot.metrics[1] as MetricSnapshot;
    latency.canary = { value: null, reason: 'bad query <!channel> & more' };

    // Act
    const text = textOf(blocksOf({ ...snapshot, source: 'http://prom?a=1&b=<2>' }));

    // Assess
    expect(text).toContain('bad query &lt;!channel&gt; &amp; more');
    expect(text).toContain('source `http://prom?a=1&amp;b=&lt;2&gt;`');
    expect(text).not.toContain('<!channel>');
  });

  it('never leaves half a date token or mention when a long context is cut to 3000 characters', () => {
    // Arrange: a service name long enough that the cut falls inside the time token after it
    const snapshot = { ...failingSnapshot(), service: 's'.repeat(2980) };

    // Act
    const context = blocksOf(snapshot).at(-1)?.elements?.[0]?.text ?? '';

    // Assess
    expect(context.length).toBeLessThanOrEqual(3000);
    expect(context.endsWith('…')).toBe(true);
    expect(context).not.toContain('<');
  });

  it('puts service, time, window and source in one context block, with a UTC fallback for the time', () => {
    // Arrange
    const snapshot = failingSnapshot();

    // Act
    const context = blocksOf(snapshot).at(-1);

    // Assess
    expect(context?.type).toBe('context');
    expect(context?.elements?.[0]?.text).toBe(
      '*payments/api* · <!date^1741082400^{date_short_pretty} {time}|2025-03-04 10:00 UTC> · last 10 min, 30 s steps · source `http://prometheus.monitoring:9090`',
    );
  });
});

describe('Function: snapshotText', () => {
  it('tells the verdict and every number in plain words, without emoji or markup', () => {
    // Arrange
    const snapshot = failingSnapshot();

    // Act
    const text = snapshotText(snapshot);

    // Assess
    expect(text).toBe(
      'payments/api metrics: Success rate and error rate fail their SLOs. ' +
        'Success rate: canary 98.7 %, primary 99.9 %, SLO ≥ 99 %; ' +
        'p95 latency: canary 307 ms, primary 173 ms, SLO &lt; 500 ms; ' +
        'Error rate: canary 1.3 %, primary 0.07 %, SLO &lt; 1 %; ' +
        'Request rate: canary 12.5 req/s, primary 49.6 req/s. ' +
        'Traffic: canary 20 % / primary 80 % (from request rate).',
    );
  });

  it('says why data is missing', () => {
    // Arrange
    const snapshot = noDataSnapshot();

    // Act
    const text = snapshotText(snapshot);

    // Assess
    expect(text).toContain('No data for p95 latency: Prometheus query timed out after 5 s.');
    expect(text).toContain('p95 latency: no data for canary or primary (Prometheus query timed out after 5 s)');
    expect(text).toContain('Request rate: canary no data (no series for the canary pods), primary 49.6 req/s');
    expect(text).toContain('Traffic: split unknown.');
  });
});
