import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { bounded } from '../domain/bounds';
import type { Outbox, OutboxEntry } from '../ports/outbox';
import type { Job } from '../ports/queue';
import { DynamoTable } from './dynamo-table';

/** All outbox items share one partition of the bot's table, apart from the release state (`SVC#...`). */
const PK = 'OUTBOX#JOBS';
const key = (entry: Pick<OutboxEntry, 'group' | 'id'>) => ({ pk: PK, sk: `${entry.group}#${entry.id}` });
const ERROR_LIMIT = 500;

/** The local queue's outbox in the same DynamoDB table (dynalite) as the release state. */
export class DynamoOutbox implements Outbox {
  private readonly table: DynamoTable;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.table = new DynamoTable(options.client, options.tableName);
  }

  async add(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>): Promise<void> {
    await this.table.put({
      Item: { ...key(entry), group: entry.group, id: entry.id, job: JSON.stringify(entry.job), failures: 0 },
    });
  }

  async remove(entry: Pick<OutboxEntry, 'group' | 'id'>): Promise<void> {
    await this.table.delete(key(entry));
  }

  async recordFailure(entry: Pick<OutboxEntry, 'group' | 'id'>, error: string, dead: boolean): Promise<void> {
    // A job removed meanwhile (it ran after all) stays removed: the condition fails, and that is fine.
    await this.table.updateIf({
      Key: key(entry),
      UpdateExpression: 'SET failures = failures + :one, lastError = :error, dead = :dead',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1, ':error': bounded(error, ERROR_LIMIT), ':dead': dead },
    });
  }

  async list(): Promise<OutboxEntry[]> {
    const items = await this.table.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PK },
    });
    return items.map(toEntry);
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
