import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DependencyError } from '../domain/errors';
import type { ServiceId } from '../domain/flagger';

export type Item = Record<string, unknown>;

/**
 * The bot's one table: a partition per service (`SVC#<namespace>/<name>`), and in it one sort-key prefix per kind
 * of item. Run numbers are zero-padded so sort keys list runs in order.
 */
export const pk = (service: ServiceId) => `SVC#${service}`;
export const pad = (run: number) => String(run).padStart(6, '0');

/** The domain object stored in an item: everything but the keys. */
export function fromItem<T>(item: Item): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/** The outcome of a conditional write: done, or refused with the item as it was, when DynamoDB sent it back. */
export type Conditional = { written: true; item?: Item } | { written: false; current?: Item };

/** Answers that mean "too much at once" or "broken inside DynamoDB": the same request may succeed later. */
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
]);

interface SdkFailure {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * A failure of a DynamoDB call as a `DependencyError`: retryable when DynamoDB throttled, failed on its side (5xx)
 * or never answered (connection refused, timeout); not when it refused the request itself (validation, a missing
 * table, access denied), which asking again does not change. An error that never reached the SDK's transport (no
 * `$metadata`: a bug on this side, such as an unmarshallable value) is returned unchanged.
 */
/** BatchGetItem rounds for keys DynamoDB left unprocessed (throttling) before the read fails. */
const BATCH_ATTEMPTS = 4;

export function asDynamoFailure(error: unknown, operation: string, tableName: string): unknown {
  if (!(error instanceof Error) || !('$metadata' in error)) return error;
  // A condition that did not hold is an answer, not a failure: the conditional write reports it.
  if (error instanceof ConditionalCheckFailedException) return error;
  const failure = error as Error & SdkFailure;
  const status = failure.$metadata?.httpStatusCode;
  const retryable = status === undefined || status >= 500 || failure.$fault === 'server' || RETRYABLE.has(failure.name);
  return new DependencyError(
    'dynamodb',
    `DynamoDB table ${tableName} failed ${operation} (${failure.name}: ${failure.message})`,
    { retryable, cause: error },
  );
}

/**
 * The table as the adapters use it: each call names its table, and its failures become coded errors here, in one
 * place. A conditional write reports a failed condition as data, with the item as it was when DynamoDB returns it
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`; dynalite never does, so callers keep a read to fall back on).
 */
export class DynamoTable {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  async get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const result = await this.call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true })),
    );
    return result.Item;
  }

  /**
   * Several items of the table in one BatchGetItem, consistently read, in the order of `keys` (undefined where there
   * is none). Keys DynamoDB leaves unprocessed (throttling) are asked for again, a few times.
   */
  async getMany(keys: readonly { pk: string; sk: string }[]): Promise<(Item | undefined)[]> {
    const found = new Map<string, Item>();
    let pending: Record<string, unknown>[] = [...keys];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS)
        throw new DependencyError(
          'dynamodb',
          `DynamoDB table ${this.name} left keys unprocessed after ${BATCH_ATTEMPTS} BatchGetItem rounds (throttled)`,
          { retryable: true },
        );
      const result = await this.call('BatchGetItem', () =>
        this.client.send(
          new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } } }),
        ),
      );
      for (const item of result.Responses?.[this.name] ?? []) found.set(`${item.pk} ${item.sk}`, item);
      pending = result.UnprocessedKeys?.[this.name]?.Keys ?? [];
    }
    return keys.map((key) => found.get(`${key.pk} ${key.sk}`));
  }

  async put(input: Omit<PutCommandInput, 'TableName'>): Promise<void> {
    await this.call('PutItem', () => this.client.send(new PutCommand({ ...input, TableName: this.name })));
  }

  async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Item | undefined> {
    const result = await this.call('UpdateItem', () =>
      this.client.send(new UpdateCommand({ ...input, TableName: this.name })),
    );
    return result.Attributes;
  }

  /** The local outbox only: the Lambda functions are granted no DeleteItem. */
  async delete(key: { pk: string; sk: string }): Promise<void> {
    await this.call('DeleteItem', () => this.client.send(new DeleteCommand({ TableName: this.name, Key: key })));
  }

  /** A put with a condition; `item` is what was written. */
  async putIf(input: Omit<PutCommandInput, 'TableName' | 'ConditionExpression'> & { ConditionExpression: string }) {
    return this.conditional(async () => {
      await this.put({ ...input, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
      return input.Item;
    });
  }

  /** An update with a condition; `item` is the item after it (with `ReturnValues: 'ALL_NEW'`). */
  async updateIf(
    input: Omit<UpdateCommandInput, 'TableName' | 'ConditionExpression'> & { ConditionExpression: string },
  ) {
    return this.conditional(() => this.update({ ...input, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
  }

  /**
   * Every item the query matches, page after page, up to `limit` (all without one). `pageSize` widens the pages a
   * filtered query reads, since a filtered page can match little.
   */
  async query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit' | 'ConsistentRead'>,
    options: { limit?: number; pageSize?: (remaining: number) => number } = {},
  ): Promise<Item[]> {
    const { limit, pageSize = (remaining: number) => remaining } = options;
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.call('Query', () =>
        this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.name,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(limit === undefined ? {} : { Limit: pageSize(limit - items.length) }),
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return limit === undefined ? items : items.slice(0, limit);
  }

  private async conditional(write: () => Promise<Item | undefined>): Promise<Conditional> {
    try {
      const item = await write();
      return item === undefined ? { written: true } : { written: true, item };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The exception carries the item in DynamoDB's own format: the document client converts only results.
      return error.Item ? { written: false, current: unmarshall(error.Item) } : { written: false };
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asDynamoFailure(error, operation, this.name);
    }
  }
}
