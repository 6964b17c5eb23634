import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoStore } from '../../shared/adapters/dynamo-store';
import { PrometheusMetrics } from '../../shared/adapters/prometheus-metrics';
import { SqsQueue } from '../../shared/adapters/sqs-queue';
import { loadConfig } from '../../shared/config/load';
import { awsSettingsSchema, readSettings } from '../../shared/config/settings';
import type { CoreDeps } from '../../shared/usecases/deps';

/** The AWS composition root shared by all functions: built once per container, at import (init phase). */
const settings = readSettings(awsSettingsSchema);

const config = loadConfig(settings.RELEASE_BOT_CONFIG);

export const core: CoreDeps = {
  config,
  store: new DynamoStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
    tableName: settings.TABLE_NAME,
  }),
  queue: new SqsQueue(new SQSClient({}), settings.QUEUE_URL),
  now: () => new Date(),
  ...(config.prometheus
    ? { metrics: new PrometheusMetrics({ baseUrl: config.prometheus.url, timeoutMs: config.prometheus.timeout }) }
    : {}),
};
