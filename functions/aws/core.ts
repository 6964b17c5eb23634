import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ampWorkspaceOf, signedFetch } from '../../shared/adapters/amp';
import { DynamoStore } from '../../shared/adapters/dynamo-store';
import { PrometheusMetrics } from '../../shared/adapters/prometheus-metrics';
import { SqsQueue } from '../../shared/adapters/sqs-queue';
import type { BotConfig } from '../../shared/config/load';
import type { CoreDeps } from '../../shared/usecases/deps';
import { latest } from './memo';
import { currentConfig, settings } from './parameters';

/** The AWS composition root shared by all functions: clients built once per container, at import (init phase). */
const dynamo = new DynamoDBClient({});
const store = new DynamoStore({
  client: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
  tableName: settings.TABLE_NAME,
});
const queue = new SqsQueue(new SQSClient({}), settings.QUEUE_URL);

/** Prometheus as the configuration names it; Amazon Managed Prometheus is signed with the function's role. */
const metricsFor = latest((config: BotConfig) => {
  if (!config.prometheus) return undefined;
  const { url, timeout } = config.prometheus;
  const amp = ampWorkspaceOf(url);
  return new PrometheusMetrics({
    baseUrl: url,
    timeoutMs: timeout,
    ...(amp ? { fetch: signedFetch(amp.region, () => dynamo.config.credentials()) } : {}),
  });
});

/** What every function needs, with the configuration in force for this invocation. */
export async function coreDeps({ metrics }: { metrics: boolean }): Promise<CoreDeps> {
  const config = await currentConfig();
  const source = metrics ? metricsFor(config) : undefined;
  return { config, store, queue, now: () => new Date(), ...(source ? { metrics: source } : {}) };
}
