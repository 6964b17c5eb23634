import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpRoute, routeWeights } from './canary-objects';
import type { KubeClient } from './kube';

/** What one workload's pods do with the requests they get. */
export interface Behaviour {
  /** share of responses that are 500, 0..1 */
  errorRatio: number;
  /** every response takes about this long (±20%), ms */
  latencyMs: number;
}

export interface TrafficSettings {
  /** requests per second to the service, split by the live VirtualService weights */
  rps: number;
  primary: Behaviour;
  canary: Behaviour;
  /**
   * Share of the requests, 0..1, that match the A/B route Flagger puts first (e.g. the beta users' header); they
   * take that route, the others the default one. Without an A/B route every request takes the default one.
   */
  matchedShare: number;
  /**
   * Requests per second sent straight to `<svc>-canary`, outside the VirtualService, as Flagger's load tester does
   * during a blue-green analysis (when the routes send the canary nothing); only once the VirtualService exists.
   */
  loadTestRps: number;
}

/** Istio's default buckets for istio_request_duration_milliseconds (ms). */
const BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

interface Series {
  requests: Map<string, number>; // response code -> count
  buckets: number[]; // cumulative counts per BUCKETS entry
  count: number;
  sum: number;
  carry: number; // fractional requests not yet emitted
}

/**
 * A live stand-in for Istio's sidecars: serves /metrics with `istio_requests_total` and
 * `istio_request_duration_milliseconds` as Istio's telemetry reports them, for the Canary's target workload
 * (`<target>`, behind `<svc>-canary`) and `<target>-primary`. Requests are split by the weights of the live
 * VirtualService `<svc>` that Flagger manages, read from the apiserver; before it exists, everything goes to the
 * target workload, as it would before Flagger takes over.
 */
export class TrafficSimulator {
  private settings: TrafficSettings;
  private readonly series = new Map<string, Series>(); // workload -> series
  private weights: { primary: number; canary: number } | undefined;
  private server?: Server;
  private ticker?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private lastTick = Date.now();
  lastError?: Error;

  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    private readonly service: string,
    private readonly target: string,
    settings: Partial<TrafficSettings> = {},
  ) {
    const healthy = { errorRatio: 0, latencyMs: 40 };
    this.settings = { rps: 50, primary: healthy, canary: healthy, matchedShare: 0, loadTestRps: 0, ...settings };
    for (const workload of [this.target, this.primary]) {
      this.series.set(workload, {
        requests: new Map([['200', 0]]),
        buckets: BUCKETS.map(() => 0),
        count: 0,
        sum: 0,
        carry: 0,
      });
    }
  }

  get primary(): string {
    return `${this.target}-primary`;
  }

  /** Changes the traffic from now on, e.g. `set({ canary: { errorRatio: 0.2, latencyMs: 40 } })`. */
  set(settings: Partial<TrafficSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  /**
   * The weights the simulator is routing by (undefined before the VirtualService exists): the default route's, or
   * with an A/B route the mix of both by `matchedShare`.
   */
  currentWeights(): { primary: number; canary: number } | undefined {
    return this.weights;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) {
        this.tick();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.render());
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.lastTick = Date.now();
    this.ticker = setInterval(() => this.tick(), 250);
    const poll = async () => {
      try {
        await this.readWeights();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error as Error;
      }
      if (this.poller) this.poller = setTimeout(poll, 500);
    };
    this.poller = setTimeout(poll, 0);
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    clearTimeout(this.poller);
    this.poller = undefined;
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async readWeights(): Promise<void> {
    const vs = await this.kube.find<{ spec?: { http?: HttpRoute[] } }>(
      `/apis/networking.istio.io/v1beta1/namespaces/${this.namespace}/virtualservices/${this.service}`,
    );
    if (!vs) {
      this.weights = undefined;
      return;
    }
    // The default route: the last http entry (Flagger puts header/cookie matches for A/B tests first).
    const http = vs.spec?.http ?? [];
    const fallback = routeWeights(http.at(-1), this.service);
    const share = http.length > 1 ? this.settings.matchedShare : 0;
    const matched = share > 0 ? routeWeights(http[0], this.service) : fallback;
    this.weights = {
      primary: (1 - share) * fallback.primary + share * matched.primary,
      canary: (1 - share) * fallback.canary + share * matched.canary,
    };
  }

  private tick(): void {
    const now = Date.now();
    const seconds = (now - this.lastTick) / 1000;
    this.lastTick = now;
    const total = this.settings.rps * seconds;
    const weights = this.weights;
    const direct = weights ? this.settings.loadTestRps * seconds : 0;
    const shares: [string, number, Behaviour][] = weights
      ? [
          [this.primary, (total * weights.primary) / 100, this.settings.primary],
          [this.target, (total * weights.canary) / 100 + direct, this.settings.canary],
        ]
      : [[this.target, total, this.settings.primary]];
    for (const [workload, amount, behaviour] of shares) {
      const series = this.series.get(workload);
      if (!series || amount <= 0) continue;
      series.carry += amount;
      const requests = Math.floor(series.carry);
      series.carry -= requests;
      if (requests === 0) continue;
      const errors = Math.round(requests * behaviour.errorRatio);
      series.requests.set('200', (series.requests.get('200') ?? 0) + requests - errors);
      if (errors > 0) series.requests.set('500', (series.requests.get('500') ?? 0) + errors);
      const latency = behaviour.latencyMs * (0.8 + Math.random() * 0.4);
      BUCKETS.forEach((le, i) => {
        if (latency <= le) series.buckets[i] = (series.buckets[i] ?? 0) + requests;
      });
      series.count += requests;
      series.sum += requests * latency;
    }
  }

  /** Prometheus text exposition, with the label set Istio's destination and source reporters use. */
  render(): string {
    const lines = ['# HELP istio_requests_total Total requests.', '# TYPE istio_requests_total counter'];
    const histogram = [
      '# HELP istio_request_duration_milliseconds Request duration in milliseconds.',
      '# TYPE istio_request_duration_milliseconds histogram',
    ];
    for (const reporter of ['destination', 'source']) {
      for (const [workload, series] of this.series) {
        const base = this.labels(reporter, workload);
        for (const [code, count] of series.requests) {
          lines.push(`istio_requests_total{${base},response_code="${code}",response_flags="-"} ${count}`);
        }
        const hBase = `${base},response_code="200",response_flags="-"`;
        BUCKETS.forEach((le, i) => {
          histogram.push(`istio_request_duration_milliseconds_bucket{${hBase},le="${le}"} ${series.buckets[i]}`);
        });
        histogram.push(`istio_request_duration_milliseconds_bucket{${hBase},le="+Inf"} ${series.count}`);
        histogram.push(`istio_request_duration_milliseconds_sum{${hBase}} ${series.sum.toFixed(3)}`);
        histogram.push(`istio_request_duration_milliseconds_count{${hBase}} ${series.count}`);
      }
    }
    return `${[...lines, ...histogram].join('\n')}\n`;
  }

  private labels(reporter: string, workload: string): string {
    const ns = this.namespace;
    const serviceName = workload === this.primary ? `${this.service}-primary` : `${this.service}-canary`;
    const labels: Record<string, string> = {
      reporter,
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
      source_principal: 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
      source_app: 'istio-ingressgateway',
      source_version: 'unknown',
      source_canonical_service: 'istio-ingressgateway',
      source_canonical_revision: 'latest',
      source_cluster: 'Kubernetes',
      destination_workload: workload,
      destination_workload_namespace: ns,
      destination_principal: `spiffe://cluster.local/ns/${ns}/sa/default`,
      destination_app: this.target,
      destination_version: 'unknown',
      destination_service: `${serviceName}.${ns}.svc.cluster.local`,
      destination_service_name: serviceName,
      destination_service_namespace: ns,
      destination_canonical_service: this.target,
      destination_canonical_revision: 'latest',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown',
      grpc_response_status: '',
    };
    return Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
  }
}
