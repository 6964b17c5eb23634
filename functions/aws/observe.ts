/** The namespace and metric infra/alarms.ts alarms on (kept equal by test/infra). */
export const METRICS_NAMESPACE = 'ReleaseBot';
export const FLAGGER_FAILURES = 'FlaggerInternalFailures';

/**
 * Counts one internal failure as an EMF metric through Powertools Metrics: a structured log line that CloudWatch
 * turns into a metric, so no API call (and no latency) on the failing path. Powertools loads only when needed.
 */
export async function countFailure(metricName: string, detail: Record<string, unknown>): Promise<void> {
  console.error(JSON.stringify({ msg: 'internal failure', metric: metricName, ...detail }));
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'release-bot' });
  metrics.addMetric(metricName, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
