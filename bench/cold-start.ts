import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, bundleFunction, RUNTIME_FILES } from '../infra/bundle';
import { FakeExtensions } from '../testkit/fake-extensions';

/**
 * Cold start of each function as Lambda runs it: the bundle built as the stack builds it (minified CommonJS, source
 * maps, runtime files), started by a fresh Node process with the stack's NODE_OPTIONS, which requires it as Lambda's
 * runtime does (its init) and answers one request. The AWS SDK is not in the bundles (Lambda provides it), but it
 * still loads: from node_modules here. The Lambda extensions (Parameters and Secrets, AppConfig agent) are a fake on
 * loopback, so the first call pays for reading the secret and the configuration as it does on Lambda (the extensions
 * themselves start beside the function there; the AppConfig agent fetches ahead of it).
 * Prints, per function, the bundle size and the medians of N runs, next to a bare `node -e 0` measured alike
 * (one before each of its runs).
 */
const RUNS = Math.max(10, Number(process.env.RUNS ?? 10));
const ROOT = join(__dirname, '..');
const OUT = join(ROOT, '.build', 'bench');
const LOCATOR = 'release-bot/production/config';
const FLAGGER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:release-bot/flagger-AbCdEf';
const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:release-bot/slack-AbCdEf';
const ALERTMANAGER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:release-bot/alertmanager-AbCdEf';

/** Requests that need no DynamoDB or SQS: a wrong token, a missing signature, an empty batch. */
// A wrong token still loads the configuration and the secret first (the handlers read both before checking).
const FUNCTIONS = {
  flagger: {
    targets: 'under 400 KB, under 120 ms above bare Node',
    event: {
      rawPath: '/flagger/confirm-promotion',
      requestContext: { http: { method: 'POST' } },
      headers: {},
      body: '{"metadata":{"token":"x"}}',
    },
  },
  alertmanager: {
    targets: 'under 400 KB, under 120 ms above bare Node',
    event: {
      rawPath: '/alertmanager',
      requestContext: { http: { method: 'POST' } },
      headers: { authorization: 'Bearer not-the-token' },
      body: '{"version":"4","status":"firing","alerts":[]}',
    },
  },
  slack: {
    targets: 'under 300 ms above bare Node',
    event: {
      rawPath: '/slack/events',
      requestContext: { http: { method: 'POST' } },
      headers: {},
      body: 'command=%2Fcanary',
    },
  },
  worker: { targets: 'reported', event: { Records: [] } },
};

interface Sample {
  importMs: number;
  callMs: number;
  totalMs: number;
  status: unknown;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const extensions = new FakeExtensions();
  const port = String(await extensions.start());
  extensions.secrets.set(FLAGGER_SECRET, JSON.stringify({ FLAGGER_WEBHOOK_TOKEN: 'benchmark-token-0123456789' }));
  extensions.secrets.set(
    SLACK_SECRET,
    JSON.stringify({ SLACK_SIGNING_SECRET: 'benchmark-secret', SLACK_BOT_TOKEN: 'xoxb-bench' }),
  );
  extensions.secrets.set(ALERTMANAGER_SECRET, JSON.stringify({ ALERTMANAGER_TOKEN: 'benchmark-alertmanager-token' }));
  extensions.configs.set(LOCATOR, readFileSync(join(ROOT, 'config', 'release-bot.yaml'), 'utf8'));
  const env = {
    PATH: process.env.PATH ?? '',
    ...BUNDLE.environment,
    RELEASE_BOT_APPCONFIG: LOCATOR,
    TABLE_NAME: 'release-bot',
    QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo',
    FLAGGER_SECRET_ARN: FLAGGER_SECRET,
    SLACK_SECRET_ARN: SLACK_SECRET,
    ALERTMANAGER_SECRET_ARN: ALERTMANAGER_SECRET,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'benchmark',
    AWS_SESSION_TOKEN: extensions.sessionToken,
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: port,
    AWS_APPCONFIG_EXTENSION_HTTP_PORT: port,
  };

  const node = execFileSync('node', ['--version']).toString().trim();
  console.log(`node ${node}, NODE_OPTIONS=${BUNDLE.environment.NODE_OPTIONS}, ${RUNS} cold starts each (medians)`);
  console.log('function      bundle    import   first call  process total  bare    above bare  answer  target');
  try {
    for (const [name, { event, targets }] of Object.entries(FUNCTIONS)) {
      const file = join(OUT, `${name}.js`);
      await bundleFunction(join(ROOT, 'functions', name, 'handler.ts'), file, RUNTIME_FILES[name]);
      const samples: Sample[] = [];
      const bares: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // A bare `node -e 0` before each cold start: on a shared machine, load that comes and goes moves both alike.
        bares.push(time(() => execFileSync('node', ['-e', '0'], { env })));
        samples.push(await measure(file, event, env));
      }
      const bare = median(bares);
      const m = (key: 'importMs' | 'callMs' | 'totalMs') => median(samples.map((s) => s[key]));
      const kb = Math.round(statSync(file).size / 1024);
      console.log(
        [
          name.padEnd(13),
          `${kb} KB`.padEnd(9),
          `${m('importMs')} ms`.padEnd(8),
          `${m('callMs')} ms`.padEnd(11),
          `${m('totalMs')} ms`.padEnd(14),
          `${bare} ms`.padEnd(7),
          `${m('totalMs') - bare} ms`.padEnd(11),
          String(samples[0]?.status).padEnd(7),
          targets,
        ].join(' '),
      );
    }
  } finally {
    await extensions.stop();
  }
}

/** One fresh process: import, one invocation, exit. The total is what a cold invocation costs end to end. */
async function measure(file: string, event: unknown, env: Record<string, string>): Promise<Sample> {
  const script = `(async () => {
    const t0 = performance.now();
    const { handler } = require(${JSON.stringify(file)});
    const t1 = performance.now();
    const result = await handler(${JSON.stringify(event)}, {});
    const t2 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, status: result.statusCode ?? 'batch' }));
    process.exit(0);
  })();`;
  const started = performance.now();
  // Asynchronously, so the fake AWS in this process can answer the child.
  const out = await new Promise<string>((resolve, reject) => {
    const { execFile } = require('node:child_process') as typeof import('node:child_process');
    execFile('node', ['-e', script], { env, cwd: OUT }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  const totalMs = Math.round(performance.now() - started);
  const line = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Sample;
  return { importMs: Math.round(line.importMs), callMs: Math.round(line.callMs), totalMs, status: line.status };
}

function time(run: () => unknown): number {
  const started = performance.now();
  run();
  return Math.round(performance.now() - started);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
