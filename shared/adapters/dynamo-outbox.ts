import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { bounded } from '../domain/bounds';
import type { Outbox, OutboxEntry } from '../ports/outbox';
import type { Job } from '../ports/queue';

/** All outbox items share one partition of the bot's table, apart from the release state (`SVC#...`). */
const PK = 'OUTBOX#JOBS';
const sk = (entry: Pick<OutboxEntry, 'group' | 'id'>) => `${entry.group}#${entry.id}`;
const ERROR_LIMIT = 500;

/** The local queue's outbox in the same DynamoDB table (dynalite) as the release state. */
export class DynamoOutbox implements Outbox {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async add(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { pk: PK, sk: sk(entry), group: entry.group, id: entry.id, job: JSON.stringify(entry.job), failures: 0 },
      }),
    );
  }

  async remove(entry: Pick<OutboxEntry, 'group' | 'id'>): Promise<void> {
    await this.options.client.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: { pk: PK, sk: sk(entry) } }),
    );
  }

  async recordFailure(entry: Pick<OutboxEntry, 'group' | 'id'>, error: string, dead: boolean): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: PK, sk: sk(entry) },
          UpdateExpression: 'SET failures = failures + :one, lastError = :error, dead = :dead',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1, ':error': bounded(error, ERROR_LIMIT), ':dead': dead },
        }),
      );
    } catch (failure) {
      if (!(failure instanceof ConditionalCheckFailedException)) throw failure;
    }
  }

  async list(): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PK },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) entries.push(toEntry(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return entries;
  }
}

function toEntry(item: Record<string, unknown>): OutboxEntry {
  return {
    group: String(item.group),
    id: String(item.id),
    job: JSON.parse(String(item.job)) as Job,
    failures: Number(item.failures ?? 0),
    dead: item.dead === true,
    ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
  };
}
