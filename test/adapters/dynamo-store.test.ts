import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { documentClient, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { DynamoOutbox } from '../../shared/adapters/dynamo-outbox';
import { createTable, DynamoStore } from '../../shared/adapters/dynamo-store';
import { DependencyError } from '../../shared/domain/errors';
import type { Gate } from '../../shared/domain/gate';
import { aGate, aRun } from '../../testkit/builders';
import { gateRef, minute, SERVICE } from './store-harness';

/** One request as the scripted DynamoDB received it: the operation (X-Amz-Target) and its JSON input. */
interface Received {
  operation: string;
  input: Record<string, unknown>;
}
type Answer = { status: number; body: Record<string, unknown> };

/**
 * A DynamoDB endpoint on loopback that answers from a script, for what dynalite cannot do: a conditional write
 * failing with the stored item (ReturnValuesOnConditionCheckFailure), throttling, DynamoDB's own 5xx.
 */
async function scriptedDynamo(answer: (request: Received) => Answer) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = { operation: String(req.headers['x-amz-target']).split('.')[1] ?? '', input: JSON.parse(body) };
      received.push(request);
      const { status, body: reply } = answer(request);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
  );
  return {
    store: new DynamoStore({ client, tableName: 'release-bot' }),
    outbox: new DynamoOutbox({ client, tableName: 'release-bot' }),
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const failure = (type: string, extra: Record<string, unknown> = {}, status = 400): Answer => ({
  status,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} from the script`, ...extra },
});
const conditionFailed = (item?: Gate) =>
  failure(
    'ConditionalCheckFailedException',
    item ? { Item: marshall({ pk: `SVC#${SERVICE}`, sk: 'GATE', ...item }) } : {},
  );
const stored = (item: Gate): Answer => ({ status: 200, body: { Item: marshall({ pk: `SVC#${SERVICE}`, ...item }) } });

describe('Class: DynamoStore', () => {
  let script: Awaited<ReturnType<typeof scriptedDynamo>> | undefined;
  afterEach(async () => {
    await script?.close();
    script = undefined;
  });

  describe('Method: openGate', () => {
    it('returns the gate DynamoDB sent back with the failed condition, and reads nothing', async () => {
      const first = aGate({ evidence: 'first' });
      script = await scriptedDynamo(() => conditionFailed(first));

      const result = await script.store.openGate(aGate({ evidence: 'second' }));

      expect(result).toStrictEqual({ gate: first, created: false });
      expect(script.received.map((r) => r.operation)).toEqual(['PutItem']);
      expect(script.received[0]?.input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    });

    it('reads the stored gate when the failed condition came without it, as from dynalite', async () => {
      const first = aGate({ evidence: 'first' });
      script = await scriptedDynamo((r) => (r.operation === 'PutItem' ? conditionFailed() : stored(first)));

      const result = await script.store.openGate(aGate({ evidence: 'second' }));

      expect(result).toStrictEqual({ gate: first, created: false });
      expect(script.received.map((r) => r.operation)).toEqual(['PutItem', 'GetItem']);
    });
  });

  describe('Method: addApproval', () => {
    it('tells a repeated approval from the gate sent back with the failed condition, and reads nothing', async () => {
      const gate = aGate({ approvals: { U0ALICE: minute(1) } });
      script = await scriptedDynamo(() => conditionFailed(gate));

      const result = await script.store.addApproval(gateRef, 'U0ALICE', minute(2));

      expect(result).toStrictEqual({ gate, added: false });
      expect(script.received.map((r) => r.operation)).toEqual(['UpdateItem']);
      expect(script.received[0]?.input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    });

    it('refuses an approval of a gate that the item sent back shows decided', async () => {
      script = await scriptedDynamo(() => conditionFailed(aGate({ status: 'approved', decidedAt: minute(1) })));

      const result = await script.store.addApproval(gateRef, 'U0ALICE', minute(2));

      expect(result).toBeUndefined();
      expect(script.received).toHaveLength(1);
    });

    it('reads the gate when the failed condition came without it, as from dynalite', async () => {
      const gate = aGate({ approvals: { U0ALICE: minute(1) } });
      script = await scriptedDynamo((r) => (r.operation === 'UpdateItem' ? conditionFailed() : stored(gate)));

      const result = await script.store.addApproval(gateRef, 'U0ALICE', minute(2));

      expect(result).toStrictEqual({ gate, added: false });
      expect(script.received.map((r) => r.operation)).toEqual(['UpdateItem', 'GetItem']);
    });
  });

  describe('Errors', () => {
    it.each([
      { name: 'throttling', answer: failure('ThrottlingException'), retryable: true },
      { name: 'an exceeded throughput', answer: failure('ProvisionedThroughputExceededException'), retryable: true },
      { name: 'a failure inside DynamoDB', answer: failure('InternalServerError', {}, 500), retryable: true },
      { name: 'a validation error', answer: failure('ValidationException'), retryable: false },
      { name: 'a missing table', answer: failure('ResourceNotFoundException'), retryable: false },
    ])('turns $name into a DependencyError on dynamodb, retryable $retryable', async ({ answer, retryable }) => {
      script = await scriptedDynamo(() => answer);

      const read = script.store.getRun(SERVICE, 1);

      const error = await read.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ code: 'DEPENDENCY_DOWN', dependency: 'dynamodb', retryable, statusCode: 503 });
      expect((error as Error).message).toMatch(/^DynamoDB table release-bot failed GetItem \(\w+: /);
    });

    it('maps the failure of a conditional write too, other than its condition', async () => {
      script = await scriptedDynamo(() => failure('ThrottlingException'));

      const decide = script.store.decideGate(gateRef, { status: 'approved' }, minute(1));

      await expect(decide).rejects.toMatchObject({ code: 'DEPENDENCY_DOWN', retryable: true });
    });

    it('maps the failures of the outbox', async () => {
      script = await scriptedDynamo(() => failure('ValidationException'));

      const add = script.outbox.add({
        group: 'users',
        id: '1',
        job: { kind: 'sync-thread', service: SERVICE, run: 1 },
      });

      await expect(add).rejects.toMatchObject({ code: 'DEPENDENCY_DOWN', dependency: 'dynamodb', retryable: false });
    });

    it('turns a DynamoDB that does not answer into a retryable DependencyError', async () => {
      const server = await startDynalite({});
      const endpoint = server.endpoint;
      await server.close();
      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint,
          region: 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1,
        }),
      );

      const read = new DynamoStore({ client, tableName: 'release-bot' }).getService(SERVICE);

      await expect(read).rejects.toMatchObject({ code: 'DEPENDENCY_DOWN', dependency: 'dynamodb', retryable: true });
    });

    it('leaves an error of its own making (a value the client cannot write) as it is', async () => {
      script = await scriptedDynamo(() => ({ status: 200, body: {} }));
      const run = { ...aRun(), weight: Symbol('not storable') } as unknown as ReturnType<typeof aRun>;

      const save = script.store.saveRun(run);

      const error = await save.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(DependencyError);
      expect(script.received).toHaveLength(0);
    });
  });

  describe('Function: startDynalite', () => {
    let dataDir: string;

    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'release-bot-dynalite-'));
    });
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    it('keeps what the store wrote across a restart on the same data directory', async () => {
      const first = await startDynalite({ dataDir });
      await createTable(dynamoClient(first.endpoint), 'release-bot');
      const run = aRun();
      await new DynamoStore({ client: documentClient(first.endpoint), tableName: 'release-bot' }).startRun(run, 0);
      await first.close();

      const second = await startDynalite({ dataDir });
      await createTable(dynamoClient(second.endpoint), 'release-bot');
      const store = new DynamoStore({ client: documentClient(second.endpoint), tableName: 'release-bot' });
      const read = { run: await store.getRun(SERVICE, 1), service: await store.getService(SERVICE) };
      await second.close();

      expect(read).toStrictEqual({ run, service: { service: SERVICE, runCount: 1 } });
    });
  });
});
