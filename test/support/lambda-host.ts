import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleFunction } from '../../infra/bundle';

const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, '.build', 'lambda-test');
export const FUNCTIONS = ['flagger', 'slack', 'worker'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/**
 * The three functions as Lambda runs them: the stack's ESM bundles, loaded once by a separate Node process (a warm
 * container each), invoked with Lambda events over stdin, answering over stdout.
 */
export class LambdaHost {
  private child?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, (reply: { result?: unknown; error?: string }) => void>();
  private nextId = 0;
  stderr = '';

  static async bundle(): Promise<void> {
    mkdirSync(OUT, { recursive: true });
    await Promise.all(
      FUNCTIONS.map((fn) => bundleFunction(join(ROOT, 'functions', fn, 'handler.ts'), join(OUT, `${fn}.mjs`))),
    );
    writeFileSync(
      join(OUT, 'host.mjs'),
      `import { createInterface } from 'node:readline';
const handlers = {};
for (const fn of ${JSON.stringify(FUNCTIONS)}) handlers[fn] = (await import('./' + fn + '.mjs')).handler;
for await (const line of createInterface({ input: process.stdin })) {
  const { id, fn, event } = JSON.parse(line);
  try {
    const result = await handlers[fn](event, {});
    process.stdout.write('@@' + JSON.stringify({ id, result }) + '\\n');
  } catch (error) {
    process.stdout.write('@@' + JSON.stringify({ id, error: String(error) }) + '\\n');
  }
}`,
    );
  }

  start(env: Record<string, string>): void {
    this.child = spawn('node', [join(OUT, 'host.mjs')], { cwd: OUT, env: { PATH: process.env.PATH ?? '', ...env } });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (!line.startsWith('@@')) return;
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
