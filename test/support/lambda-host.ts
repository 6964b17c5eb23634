import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleFunction } from '../../infra/bundle';

const ROOT = join(__dirname, '..', '..');
export const FUNCTIONS = ['flagger', 'slack', 'worker', 'alertmanager'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/**
 * The functions as Lambda runs them: the stack's CommonJS bundles, required (as Lambda's runtime requires them) once
 * by a separate Node process (a warm container each), invoked with Lambda events over stdin, answering over stdout.
 */
export class LambdaHost {
  private child?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (reply: { result?: unknown; error?: string }) => void>();
  private nextId = 0;
  stderr = '';
  /** What the functions print besides their answers (EMF metrics, for one). */
  stdout = '';

  /** `dir`: a folder under .build of its own, so suites running at once do not write over each other's bundles. */
  constructor(private readonly dir = 'lambda-test') {}

  static async bundle(dir = 'lambda-test'): Promise<void> {
    const out = join(ROOT, '.build', dir);
    mkdirSync(out, { recursive: true });
    await Promise.all(
      FUNCTIONS.map((fn) => bundleFunction(join(ROOT, 'functions', fn, 'handler.ts'), join(out, `${fn}.js`))),
    );
    writeFileSync(
      join(out, 'host.mjs'),
      `import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
// A clock the tests move (advanceClock), so cache ages such as Powertools' maxAge pass without waiting for them.
const RealDate = Date;
let offsetMs = 0;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [RealDate.now() + offsetMs])); }
  static now() { return RealDate.now() + offsetMs; }
};
const require = createRequire(import.meta.url);
const handlers = {};
for (const fn of ${JSON.stringify(FUNCTIONS)}) handlers[fn] = require('./' + fn + '.js').handler;
for await (const line of createInterface({ input: process.stdin })) {
  const { id, fn, event, advanceMs } = JSON.parse(line);
  if (advanceMs !== undefined) {
    offsetMs += advanceMs;
    process.stdout.write('@@' + JSON.stringify({ id, result: offsetMs }) + '\\n');
    continue;
  }
  try {
    // A context as Lambda gives one: the worker's runbook jobs budget their time from it (60 s, its timeout).
    const deadline = Date.now() + 60000;
    const context = { awsRequestId: String(id), getRemainingTimeInMillis: () => deadline - Date.now() };
    const result = await handlers[fn](event, context);
    process.stdout.write('@@' + JSON.stringify({ id, result }) + '\\n');
  } catch (error) {
    process.stdout.write('@@' + JSON.stringify({ id, error: String(error) }) + '\\n');
  }
}`,
    );
  }

  start(env: Record<string, string>): void {
    const out = join(ROOT, '.build', this.dir);
    this.child = spawn('node', [join(out, 'host.mjs')], { cwd: out, env: { PATH: process.env.PATH ?? '', ...env } });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('@@')) {
        this.stdout += `${line}\n`;
        return;
      }
      const reply = JSON.parse(line.slice(2)) as { id: number; result?: unknown; error?: string };
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  async invoke<T>(fn: FunctionName, event: unknown): Promise<T> {
    const id = this.nextId++;
    const reply = await new Promise<{ result?: unknown; error?: string }>((resolve) => {
      this.pending.set(id, resolve);
      this.child?.stdin.write(`${JSON.stringify({ id, fn, event })}\n`);
    });
    if (reply.error) throw new Error(`${fn} threw: ${reply.error}\n${this.stderr}`);
    return reply.result as T;
  }

  /** Moves this container's clock (Date and Date.now) forward, as if the seconds had passed between invocations. */
  async advanceClock(seconds: number): Promise<void> {
    const id = this.nextId++;
    await new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child?.stdin.write(`${JSON.stringify({ id, advanceMs: seconds * 1000 })}\n`);
    });
  }

  stop(): void {
    this.child?.kill();
  }
}

/** An API Gateway HTTP API (payload 2.0) event. */
export function httpEvent(path: string, body: string, headers: Record<string, string>, base64 = false) {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
    },
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
  };
}
