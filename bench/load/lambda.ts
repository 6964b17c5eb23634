import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { flaggerHandler } from '../../functions/flagger/http-handler';
import { dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable, DynamoStore } from '../../shared/adapters/dynamo-store';
import { parseConfig } from '../../shared/config/load';
import type { Job } from '../../shared/ports/queue';
import { FLAGGER_TOKEN } from '../../testkit/bot';
import { countedClient } from '../../testkit/counted-dynamo';
import { percentile } from './open-loop';
import { confirmPromotion, loadConfig } from './releases';

export interface LambdaResult {
  latencies: number[];
  /** DynamoDB commands each call sent, by name, summed over the calls. */
  commands: Map<string, number>;
  calls: number;
}

/**
 * The Lambda shape: the Flagger function's handler invoked once per request, one at a time (a container serves
 * one request at a time; Lambda adds containers for more), against DynamoDB (dynalite here), counting every
 * command its client sends. The gates are opened first; the calls measured are waiting ticks.
 */
export async function lambdaShaped(services: number, calls: number): Promise<LambdaResult> {
  const dynalite = await startDynalite();
  try {
    await createTable(dynamoClient(dynalite.endpoint), 'release-bot');
    const { client, sent } = countedClient(dynalite.endpoint);
    const deps = {
      config: parseConfig(loadConfig(services), 'bench.yaml'),
      store: new DynamoStore({ client, tableName: 'release-bot' }),
      queue: { send: async (_job: Job) => {} },
      now: () => new Date(),
    };
    const handler = flaggerHandler(async () => deps, [FLAGGER_TOKEN]);
    for (let i = 0; i < services; i++) await handler(event(confirmPromotion(i, services)));
    const result: LambdaResult = { latencies: [], commands: new Map(), calls };
    sent.length = 0;
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const answer = await handler(event(confirmPromotion(i, services)));
      result.latencies.push(performance.now() - started);
      if (answer.statusCode !== 403) throw new Error(`a waiting gate answered ${answer.statusCode}: ${answer.body}`);
    }
    for (const name of sent) result.commands.set(name, (result.commands.get(name) ?? 0) + 1);
    return result;
  } finally {
    await dynalite.close();
  }
}

export function lambdaLine(result: LambdaResult): string {
  const perCall = [...result.commands].map(([name, n]) => `${(n / result.calls).toFixed(2)} ${name}`).join(' + ');
  const ms = (q: number) => `${percentile(result.latencies, q).toFixed(1)} ms`;
  return `${result.calls} waiting calls, one at a time: p50 ${ms(0.5)}, p99 ${ms(0.99)}; per call: ${perCall || 'no DynamoDB command'}`;
}

const event = (body: string): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath: '/flagger/confirm-promotion',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/flagger/confirm-promotion' }, requestId: 'bench' },
    body,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;
