import * as z from 'zod';
import type { Reading } from '../domain/snapshot';
import type { MetricsSource } from '../ports/metrics';

export interface PrometheusMetricsOptions {
  /** e.g. `http://prometheus.istio-system:9090`, without `/api/v1`. */
  baseUrl: string;
  /** Client-side deadline for one request, also sent to Prometheus as its query `timeout`. */
  timeoutMs?: number;
  /** Node's fetch by default; a signing one for Amazon Managed Prometheus (shared/adapters/amp.ts). */
  fetch?: typeof fetch;
}

/** What is read of an answer: the status, its text, and the body as text. */
interface Answer {
  status: number;
  statusText: string;
  data: string;
}

/** A sample value as Prometheus sends it: a string, `NaN`, `+Inf` and `-Inf` included. */
const sampleValue = z.string().transform((text, ctx) => {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (Number.isNaN(value)) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a number` });
    return z.NEVER;
  }
  return value;
});
const sample = z.tuple([z.number(), sampleValue]);
const labels = z.record(z.string(), z.string());

const data = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('scalar'), result: sample }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
  // Native histograms come as `histogram` instead of `value`.
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: labels, value: sample.optional(), histogram: z.unknown().optional() })),
  }),
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(
      z.object({ metric: labels, values: z.array(sample).optional(), histograms: z.unknown().optional() }),
    ),
  }),
]);

const envelope = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data, warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
type Data = z.infer<typeof data>;

/** The data, or why there is none in words a person reads on a phone. */
type Outcome = { ok: true; data: Data } | { ok: false; reason: string };

const MAX_ERROR_LENGTH = 300;

/** Prometheus' HTTP API. Every failure becomes a reading with a reason; nothing here throws. */
export class PrometheusMetrics implements MetricsSource {
  readonly description: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor({ baseUrl, timeoutMs = 2000, fetch: fetcher }: PrometheusMetricsOptions) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    // Node's own fetch, not axios: 250 KB less in the Flagger function's bundle, which loads this on every cold start.
    this.fetch = fetcher ?? fetch;
    this.description = `prometheus ${baseUrl}`;
  }

  async instant(query: string, at: Date): Promise<Reading> {
    try {
      if (Number.isNaN(at.getTime())) {
        return { value: null, reason: 'no data: the evaluation time is not a valid date' };
      }
      const outcome = await this.call('/api/v1/query', { query, time: seconds(at) });
      if (!outcome.ok) return { value: null, reason: outcome.reason };
      return readingOf(outcome.data);
    } catch (error) {
      return { value: null, reason: `no data: ${messageOf(error)}` };
    }
  }

  async range(query: string, start: Date, end: Date, stepSeconds: number): Promise<(number | null)[]> {
    const stepMs = stepSeconds * 1000;
    const span = end.getTime() - start.getTime();
    if (!(stepMs > 0) || !(span >= 0)) return [];
    const points: (number | null)[] = Array.from({ length: Math.floor(span / stepMs) + 1 }, () => null);
    try {
      const outcome = await this.call('/api/v1/query_range', {
        query,
        start: seconds(start),
        end: seconds(end),
        step: String(stepSeconds),
      });
      if (!outcome.ok) return points;
      const series = outcome.data.resultType === 'matrix' ? outcome.data.result : [];
      // Several series cannot be one trend line: the same rule as `instant`.
      if (series.length !== 1) return points;
      for (const [time, value] of series[0]?.values ?? []) {
        const index = Math.round((time * 1000 - start.getTime()) / stepMs);
        if (index >= 0 && index < points.length && Number.isFinite(value)) points[index] = value;
      }
      return points;
    } catch {
      return points;
    }
  }

  private async call(path: string, params: Record<string, string>): Promise<Outcome> {
    const body = new URLSearchParams({ ...params, timeout: `${Math.max(1, Math.round(this.timeoutMs))}ms` }).toString();
    let response: Answer;
    try {
      // The signal bounds the whole exchange, body included (a silent server, a slow trickle).
      const signal = AbortSignal.timeout(this.timeoutMs);
      const answer = await this.fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        redirect: 'manual',
        signal,
      });
      response = { status: answer.status, statusText: answer.statusText, data: await answer.text() };
    } catch (error) {
      return { ok: false, reason: this.transportReason(error) };
    }
    return this.outcomeOf(response);
  }

  private outcomeOf(response: Answer): Outcome {
    const { status } = response;
    const json = parseJson(response.data);
    const parsed = envelope.safeParse(json);
    if (!parsed.success) {
      if (status === 504) return { ok: false, reason: this.timedOut() };
      if (status < 200 || status >= 300) {
        return { ok: false, reason: `Prometheus answered HTTP ${status}${statusText(response)}` };
      }
      if (json === undefined) {
        return { ok: false, reason: `${this.baseUrl} answered something that is not JSON (is it Prometheus?)` };
      }
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      return {
        ok: false,
        reason: `Prometheus sent an answer that is not its API's JSON${issue ? `: ${issue.message}${where}` : ''}`,
      };
    }
    const answer = parsed.data;
    if (answer.status === 'success') return { ok: true, data: answer.data };
    const error = clip(answer.error);
    if (answer.errorType === 'timeout' || (status === 503 && /timed? ?out/i.test(error))) {
      return { ok: false, reason: this.timedOut() };
    }
    if (status >= 400 && status < 500) {
      return { ok: false, reason: `Prometheus rejected the query (${status} ${answer.errorType}): ${error}` };
    }
    return { ok: false, reason: `Prometheus failed to run the query (${status} ${answer.errorType}): ${error}` };
  }

  private transportReason(error: unknown): string {
    // fetch throws `TypeError: fetch failed` with the socket's error (and its code) as the cause.
    // An abort is a DOMException, which is not `instanceof Error` in every realm (Jest's): compare names.
    const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
    const code = (cause as { code?: unknown } | undefined)?.code;
    const name = (error as { name?: unknown } | undefined)?.name;
    if (
      code === 'ETIMEDOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      name === 'TimeoutError' ||
      name === 'AbortError'
    ) {
      return this.timedOut();
    }
    const unreachable = `Prometheus is unreachable at ${this.baseUrl}`;
    switch (code) {
      case 'ECONNREFUSED':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'EADDRNOTAVAIL':
        return `${unreachable}: connect ${code}`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `${unreachable}: the host name does not resolve (${code})`;
      case 'ECONNRESET':
      case 'EPIPE':
      case 'UND_ERR_SOCKET':
        return `${unreachable}: the connection was reset (${code})`;
      default:
        return `${unreachable}: ${messageOf(cause)}${typeof code === 'string' && code ? ` (${code})` : ''}`;
    }
  }

  private timedOut(): string {
    return `Prometheus timed out after ${this.timeoutMs} ms`;
  }
}

function readingOf(data: Data): Reading {
  switch (data.resultType) {
    case 'scalar':
      return valueReading(data.result[1]);
    case 'string':
      return { value: null, reason: 'no data: the query returned a string, not a number' };
    case 'matrix':
      return { value: null, reason: 'no data: the query returned a range of samples; it must return one number' };
    case 'vector': {
      const [first, ...others] = data.result;
      if (!first) {
        return { value: null, reason: 'no data: the query returned no series (is the workload receiving traffic?)' };
      }
      if (others.length > 0) {
        return {
          value: null,
          reason: `several series returned (${data.result.length}); the query must aggregate to one`,
        };
      }
      if (!first.value) return { value: null, reason: 'no data: the query returned a native histogram, not a number' };
      return valueReading(first.value[1]);
    }
  }
}

function valueReading(value: number): Reading {
  if (Number.isFinite(value)) return { value };
  if (Number.isNaN(value)) return { value: null, reason: 'no data: NaN (no requests in the interval)' };
  return { value: null, reason: `no data: ${value > 0 ? '+Inf' : '-Inf'}` };
}

/** Prometheus takes times as Unix seconds; milliseconds are kept. */
const seconds = (date: Date): string => (date.getTime() / 1000).toFixed(3);

function parseJson(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function statusText(response: Answer): string {
  return response.statusText ? ` ${response.statusText}` : '';
}

function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return clip(error.message);
  if (error instanceof AggregateError) return clip(error.errors.map(messageOf).join('; '));
  return clip(String(error));
}

function clip(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
