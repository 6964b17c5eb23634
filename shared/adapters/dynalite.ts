import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { logger } from '../observability/logger';

export interface Dynalite {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An embedded DynamoDB on a free local port: persisted under `dataDir` when given, in memory otherwise.
 * It runs in a worker thread, so its request handling and LevelDB reads use the second core instead of queueing
 * behind the bot's own work on one event loop: under open-loop Flagger load this roughly doubles what the local
 * bot serves before latency climbs (`npm run bench:load`, README "Scale").
 */
export async function startDynalite(options: { dataDir?: string } = {}): Promise<Dynalite> {
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { module: require.resolve('dynalite'), options: options.dataDir ? { path: options.dataDir } : {} },
  });
  const started = await new Promise<{ port: number } | { failed: string }>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ failed: error.message }));
  });
  if ('failed' in started) {
    await worker.terminate();
    throw new Error(`the embedded DynamoDB (dynalite) did not start: ${started.failed}`);
  }
  // After the start, a failure in the thread makes every store call fail (each answered and counted as such).
  worker.on('error', (error) => logger.error('the embedded DynamoDB (dynalite) thread failed', { error }));
  return {
    endpoint: `http://127.0.0.1:${started.port}`,
    // dynalite's close also closes its LevelDB, releasing the directory lock for the next start.
    close: async () => {
      const closed = new Promise<{ closed: string }>((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      const { closed: error } = await closed;
      await worker.terminate();
      if (error) throw new Error(`closing the embedded DynamoDB failed: ${error}`);
    },
  };
}

/** The thread: dynalite listening on loopback; a message closes it (and its LevelDB) and says how that went. */
const THREAD = `
  const { parentPort, workerData } = require('node:worker_threads');
  const server = require(workerData.module)({ ...workerData.options, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.once('error', (error) => { throw error; });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
  parentPort.once('message', () =>
    server.close((error) => parentPort.postMessage({ closed: error ? String(error.message) : '' })));
`;

/** A client for a local endpoint; its credentials are placeholders dynalite accepts. */
export function dynamoClient(endpoint: string, region = 'local'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export function documentClient(endpoint: string, region = 'local'): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(endpoint, region), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
