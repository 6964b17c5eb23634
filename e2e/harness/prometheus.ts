import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertAlive, type Child, freePort, startChild, waitFor } from './processes';

/** Debian's `prometheus` package (2.42): apt-get install -y prometheus. */
export const PROMETHEUS_BIN = process.env.E2E_PROMETHEUS ?? 'prometheus';

export interface Prometheus {
  url: string;
  child: Child;
  /** An instant query; the result vector's values as numbers. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

/** Prometheus on loopback, scraping `targets` every second. */
export async function startPrometheus(workDir: string, logDir: string, targets: string[]): Promise<Prometheus> {
  try {
    execFileSync(PROMETHEUS_BIN, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `${PROMETHEUS_BIN} not found: apt-get install -y prometheus (Debian's 2.42), or set E2E_PROMETHEUS`,
    );
  }
  const dir = join(workDir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'istio-mesh', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(
    'prometheus',
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=2h',
      '--log.level=warn',
    ],
    logDir,
  );
  await waitFor(
    'Prometheus /-/ready',
    async () => {
      assertAlive(child);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    },
    { timeoutMs: 30_000, describe: () => child.tail() },
  );
  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`Prometheus query ${promql}: ${body.error}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return { url, child, query, stop: () => child.stop() };
}
