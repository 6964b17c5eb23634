import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const INSTALL_HINT = 'install it with `apt-get install -y prometheus` (it brings both prometheus and promtool)';

export interface StartPrometheusOptions {
  /** An OpenMetrics file (ending `# EOF`) turned into TSDB blocks with promtool before Prometheus starts. */
  blocksFrom?: string;
  /**
   * `host:port` targets scraped at `/metrics` (job `test`). Prometheus 2.42 scrapes for the first time about 5 s
   * after it is ready (its service discovery sends updates every 5 s), so the start waits for every target's first
   * scrape: each then has an `up` sample.
   */
  scrapeTargets?: string[];
  /** Default 1. */
  scrapeIntervalSeconds?: number;
}

export interface LocalPrometheus {
  /** e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Stops Prometheus and removes its data directory; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A real Prometheus (the `prometheus` binary on PATH) on a free loopback port with a temporary data directory.
 * Resolves once `/-/ready` answers 200; fails with Prometheus' log when it does not start.
 */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<LocalPrometheus> {
  const prometheus = onPath('prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'release-bot-prometheus-'));
  try {
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    if (options.blocksFrom) await backfill(options.blocksFrom, dataDir);
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, config(options));
    let lastError: unknown;
    // A free port can be taken between finding it and Prometheus binding it: try again on another one.
    for (let attempt = 0; attempt < 3; attempt++) {
      let started: LocalPrometheus | undefined;
      try {
        started = await launch(prometheus, configFile, dataDir, dir);
        await firstScrapes(started.url, options.scrapeTargets?.length ?? 0);
        return started;
      } catch (error) {
        lastError = error;
        await started?.stop();
        if (!/address already in use/.test(String(error))) break;
      }
    }
    throw lastError;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Writes blocks for the samples in `openMetricsFile` into `dataDir`, where Prometheus loads them at start. */
export async function backfill(openMetricsFile: string, dataDir: string): Promise<void> {
  const promtool = onPath('promtool');
  try {
    await promisify(execFile)(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', openMetricsFile, dataDir], {
      timeout: 60_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`promtool could not backfill ${openMetricsFile}: ${stderr || stdout || String(error)}`);
  }
}

function config(options: StartPrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const lines = ['global:', `  scrape_interval: ${interval}`, `  evaluation_interval: ${interval}`];
  const targets = options.scrapeTargets ?? [];
  if (targets.length > 0) {
    lines.push(
      'scrape_configs:',
      '  - job_name: test',
      `    scrape_timeout: ${interval}`,
      '    static_configs:',
      `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function launch(binary: string, configFile: string, dataDir: string, dir: string): Promise<LocalPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
  });
  // A crashed or interrupted test run must not leave Prometheus behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      await terminate(child, exited);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    const outcome = await Promise.race([ready(url).then((ok) => (ok ? 'ready' : undefined)), exited]);
    if (outcome === 'ready') return { url, stop };
    if (outcome !== undefined) {
      process.off('exit', killOnExit);
      throw new Error(`prometheus ${outcome} before it was ready:\n${log}`);
    }
    if (Date.now() > deadline) {
      await terminate(child, exited);
      process.off('exit', killOnExit);
      throw new Error(`prometheus was not ready at ${url} after 20 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until Prometheus has scraped each of its `count` targets once. */
async function firstScrapes(url: string, count: number): Promise<void> {
  if (count === 0) return;
  const deadline = Date.now() + 20_000;
  let seen = 'nothing';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { data?: { activeTargets?: { health?: string }[] } };
      const targets = body.data?.activeTargets ?? [];
      seen = JSON.stringify(targets.map((target) => target.health));
      if (targets.length >= count && targets.every((target) => target.health && target.health !== 'unknown')) return;
    } catch {
      // not answering yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`prometheus at ${url} did not scrape its ${count} target(s) within 20 s (target health: ${seen})`);
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port was assigned');
  return address.port;
}

function onPath(binary: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${binary} is not on PATH: ${INSTALL_HINT}`);
}
