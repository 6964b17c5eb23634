import type { MetricName } from './snapshot';

/**
 * Default PromQL per metric, from Flagger's builtin Istio checks and the design document. Placeholders:
 * {{namespace}}, {{workload}} (the canary Deployment, or `<target>-primary`) and {{interval}}.
 * The design document's own success-rate query divides canary requests by primary requests; Flagger's builtin
 * (non-5xx over all requests of one workload) is used instead. Istio has no series for a response code it never saw,
 * so the numerators fall back to 0 (`or on() vector(0)`): no 5xx is an error rate of 0, not "no data".
 */
const selector =
  'reporter="destination",destination_workload_namespace="{{namespace}}",destination_workload="{{workload}}"';

export const DEFAULT_QUERIES: Record<MetricName, string> = {
  successRate: `(sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[{{interval}}])) or on() vector(0)) / sum(rate(istio_requests_total{${selector}}[{{interval}}])) * 100`,
  errorRate: `(sum(rate(istio_requests_total{${selector},response_code=~"5.*"}[{{interval}}])) or on() vector(0)) / sum(rate(istio_requests_total{${selector}}[{{interval}}])) * 100`,
  p95LatencyMs: `histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{${selector}}[{{interval}}])) by (le))`,
  requestRate: `sum(rate(istio_requests_total{${selector}}[{{interval}}]))`,
};

export function renderQuery(template: string, vars: { namespace: string; workload: string; interval: string }): string {
  return template.replace(/\{\{(namespace|workload|interval)\}\}/g, (_, key: keyof typeof vars) => vars[key]);
}
