import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';

export interface Dynalite {
  endpoint: string;
  close(): Promise<void>;
}

/** An embedded DynamoDB on a free local port: persisted under `dataDir` when given, in memory otherwise. */
export async function startDynalite(options: { dataDir?: string } = {}): Promise<Dynalite> {
  const server = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // dynalite's close also closes its LevelDB, releasing the directory lock for the next start.
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A client for a local endpoint; its credentials are placeholders dynalite accepts. */
export function dynamoClient(endpoint: string, region = 'local'): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

export function documentClient(endpoint: string, region = 'local'): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamoClient(endpoint, region), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
