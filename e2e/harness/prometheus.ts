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

/** The alert the harness's rule fires: the canary answers too many 5xx. */
export const CANARY_ALERT = 'CanaryErrorRatioHigh';

export interface CanaryRule {
  namespace: string;
  /** the Canary's name (its VirtualService), put on the alert as `canary` */
  canary: string;
  /** the canary workload: the Canary's target Deployment */
  target: string;
  /** PromQL range of the rates (default 5s: five 1 s scrapes) */
  window?: string;
  /** share of 5xx above which it fires, 0..1 (default 0.05) */
  threshold?: number;
}

/**
 * The rule the e2e scenario and the README use: the canary workload's share of 5xx over a few scrapes, from Istio's
 * `istio_requests_total` as the destination reports it, firing at once (`for: 0s`), `severity: critical` (the
 * shipped auto-rollback policy), labelled with the namespace (`destination_workload_namespace`, kept by the `by`)
 * and the Canary, so the bot's default label rules find the release.
 */
export function canaryRuleGroup(rule: CanaryRule) {
  const w = rule.window ?? '5s';
  const selector = `reporter="destination",destination_workload_namespace="${rule.namespace}",destination_workload="${rule.target}"`;
  const by = 'sum by (destination_workload_namespace, destination_workload)';
  return {
    groups: [
      {
        name: 'release-bot-canary',
        interval: '1s',
        rules: [
          {
            alert: CANARY_ALERT,
            expr:
              `${by} (rate(istio_requests_total{${selector},response_code=~"5.."}[${w}])) / ` +
              `${by} (rate(istio_requests_total{${selector}}[${w}])) > ${rule.threshold ?? 0.05}`,
            for: '0s',
            labels: { severity: 'critical', canary: rule.canary },
            annotations: {
              summary: `${rule.namespace}/${rule.canary}: the canary answers {{ $value | humanizePercentage }} of requests with 5xx`,
            },
          },
        ],
      },
    ],
  };
}

/**
 * Prometheus on loopback, scraping `targets` every second; with `alerting`, it also evaluates the canary rule every
 * second and sends what fires to that Alertmanager (host:port).
 */
export async function startPrometheus(
  workDir: string,
  logDir: string,
  targets: string[],
  alerting?: { alertmanager: string; rule: CanaryRule },
): Promise<Prometheus> {
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
  const rulesFile = join(dir, 'rules.yml');
  if (alerting) writeFileSync(rulesFile, JSON.stringify(canaryRuleGroup(alerting.rule), null, 2));
  writeFileSync(
    configFile,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'istio-mesh', static_configs: [{ targets }] }],
      ...(alerting
        ? {
            rule_files: [rulesFile],
            alerting: {
              alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [alerting.alertmanager] }] }],
            },
          }
        : {}),
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
