import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFunction } from '../infra/bundle';

/**
 * Cold start of each function as Lambda would load it: the same ESM bundle as the CDK stack builds, loaded by a
 * fresh Node process that then answers one request which needs no AWS (a bad token / bad signature / empty batch).
 * Prints bundle size and the median and worst of N runs for process start, import (Lambda's init) and first call.
 */
const RUNS = Number(process.env.RUNS ?? 10);
const OUT = join(__dirname, '..', '.build', 'bench');
const FUNCTIONS = {
  flagger: {
    event: {
      rawPath: '/flagger/confirm-promotion',
      requestContext: { http: { method: 'POST' } },
      headers: {},
      body: '{"metadata":{"token":"x"}}',
    },
  },
  slack: {
    event: {
      rawPath: '/slack/events',
      requestContext: { http: { method: 'POST' } },
      headers: {},
      body: 'command=%2Fcanary',
    },
  },
  worker: { event: { Records: [] } },
};
const ENV = {
  ...process.env,
  RELEASE_BOT_CONFIG: join(__dirname, '..', 'config', 'release-bot.yaml'),
  TABLE_NAME: 'release-bot',
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo',
  AWS_REGION: 'eu-west-1',
  FLAGGER_WEBHOOK_TOKEN: 'benchmark-token',
  SLACK_SIGNING_SECRET: 'benchmark-secret',
  SLACK_BOT_TOKEN: 'xoxb-benchmark',
};

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  console.log(`node ${execFileSync('node', ['--version']).toString().trim()}, ${RUNS} cold starts per function`);
  console.log('function  bundle   import p50/max   first call p50/max   total p50/max');
  for (const [name, { event }] of Object.entries(FUNCTIONS)) {
    const file = join(OUT, `${name}.mjs`);
    await bundleFunction(join(__dirname, '..', 'functions', name, 'handler.ts'), file);
    const samples = Array.from({ length: RUNS }, () => measure(file, event));
    const kb = Math.round(statSync(file).size / 1024);
    const col = (key: keyof Sample) =>
      `${median(samples.map((s) => s[key]))}/${Math.max(...samples.map((s) => s[key]))} ms`;
    console.log(
      `${name.padEnd(9)} ${`${kb} KB`.padEnd(8)} ${col('importMs').padEnd(16)} ${col('callMs').padEnd(20)} ${col('totalMs')}`,
    );
  }
}

interface Sample {
  importMs: number;
  callMs: number;
  totalMs: number;
}

function measure(file: string, event: unknown): Sample {
  const script = `
    const t0 = performance.now();
    const { handler } = await import(${JSON.stringify(file)});
    const t1 = performance.now();
    const result = await handler(${JSON.stringify(event)}, {});
    const t2 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, status: result.statusCode ?? 'batch', uptime: performance.timeOrigin }));`;
  const started = Date.now();
  const out = execFileSync('node', ['--input-type=module', '-e', script], { env: ENV, cwd: OUT }).toString();
  const totalMs = Date.now() - started;
  const line = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { importMs: number; callMs: number };
  return { importMs: Math.round(line.importMs), callMs: Math.round(line.callMs), totalMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
