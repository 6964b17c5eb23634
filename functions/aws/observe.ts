/** The namespace and metric infra/alarms.ts alarms on (kept equal by test/infra). */
export const METRICS_NAMESPACE = 'ReleaseBot';
export { ALERTMANAGER_FAILURES, FLAGGER_FAILURES } from '../../shared/observability/failure-counter';

/**
 * Counts one internal failure as an EMF metric through Powertools Metrics: a structured log line that CloudWatch
 * turns into a metric, so no API call (and no latency) on the failing path. Powertools Metrics loads only when
 * needed. The failure itself is logged, with its stack, by whoever caught it.
 */
export async function countFailure(metricName: string): Promise<void> {
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'release-bot' });
  metrics.addMetric(metricName, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}
