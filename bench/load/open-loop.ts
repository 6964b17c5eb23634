import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Flagger's default webhook timeout: an answer later than this is a refusal, whatever it says. */
export const FLAGGER_TIMEOUT_MS = 10_000;

export interface LoadResult {
  /** Milliseconds from when each request was due to when its answer had fully arrived. */
  latencies: number[];
  /** How many answers of each kind (`label`'s name for a status and body). */
  answers: Map<string, number>;
  timeouts: number;
  errors: number;
  /** The errors by code (ECONNRESET, ...). */
  errorCodes: Map<string, number>;
}

/**
 * Open-loop load: request i is due at start + i / rate whether or not earlier ones were answered (as Flagger's
 * ticks are), and its latency counts from when it was due, so a server that falls behind is charged for the
 * queue it builds (no coordinated omission). Each request opens its own connection and leaves it idle afterwards,
 * as Flagger does (a new retryablehttp client, so a new Transport, per webhook call; pkg/controller/webhook.go):
 * the server pays a TCP accept per call and holds the idle sockets until its keep-alive timeout closes them.
 * `pooled` reuses connections instead, as a client with one keep-alive pool would.
 */
export async function openLoop(options: {
  url: string;
  rate: number;
  seconds: number;
  body: (i: number) => string;
  label?: (status: number, body: string) => string;
  pooled?: boolean;
}): Promise<LoadResult> {
  const pool = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const agents: Agent[] = [];
  const agent = () => {
    if (options.pooled) return pool;
    const own = new Agent({ keepAlive: true });
    agents.push(own);
    return own;
  };
  const result: LoadResult = { latencies: [], answers: new Map(), timeouts: 0, errors: 0, errorCodes: new Map() };
  const total = Math.round(options.rate * options.seconds);
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000) + 1);
      for (; sent < due; sent++)
        pending.push(send(agent(), options, sent, start + (sent * 1000) / options.rate, result));
      if (sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(pending);
  pool.destroy();
  for (const own of agents) own.destroy();
  return result;
}

function send(
  agent: Agent,
  options: { url: string; body: (i: number) => string; label?: (status: number, body: string) => string },
  i: number,
  dueAt: number,
  result: LoadResult,
): Promise<void> {
  return new Promise((resolve) => {
    const body = options.body(i);
    const req = request(
      options.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: FLAGGER_TIMEOUT_MS,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          result.latencies.push(performance.now() - dueAt);
          const kind = options.label?.(res.statusCode ?? 0, text) ?? String(res.statusCode);
          result.answers.set(kind, (result.answers.get(kind) ?? 0) + 1);
          resolve();
        });
      },
    );
    let timedOut = false;
    req.on('timeout', () => {
      timedOut = true;
      result.timeouts++;
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!timedOut) {
        result.errors++;
        const code = error.code ?? error.message;
        result.errorCodes.set(code, (result.errorCodes.get(code) ?? 0) + 1);
      }
      resolve();
    });
    req.end(body);
  });
}

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
