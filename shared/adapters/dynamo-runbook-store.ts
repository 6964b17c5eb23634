import type { ServiceId } from '../domain/flagger';
import type { RunbookExecution } from '../domain/runbook';
import type { RunbookStore } from '../ports/runbook-store';
import { type DynamoTable, fromItem, pad, pk } from './dynamo-table';

const executionSk = (run: number, id: string) => `RUNBOOK#${pad(run)}#${id}`;
const keyOf = (e: Pick<RunbookExecution, 'service' | 'run' | 'id'>) => ({
  pk: pk(e.service),
  sk: executionSk(e.run, e.id),
});

/** Runbook executions in the service's partition, one item per run and execution id (bounded: 20 step results). */
export class DynamoRunbookStore implements RunbookStore {
  constructor(private readonly table: DynamoTable) {}

  async createExecution(execution: RunbookExecution): Promise<{ execution: RunbookExecution; created: boolean }> {
    const put = await this.table.putIf({
      Item: { ...keyOf(execution), ...execution },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    if (put.written) return { execution: structuredClone(execution), created: true };
    // DynamoDB returns the stored item with the failure; dynalite does not, so read it then.
    const stored = put.current
      ? fromItem<RunbookExecution>(put.current)
      : await this.getExecution(execution.service, execution.run, execution.id);
    if (!stored)
      throw new Error(`runbook execution ${execution.id} of ${execution.service} #${execution.run} vanished`);
    return { execution: stored, created: false };
  }

  async getExecution(service: ServiceId, run: number, id: string): Promise<RunbookExecution | undefined> {
    const item = await this.table.get(keyOf({ service, run, id }));
    return item ? fromItem<RunbookExecution>(item) : undefined;
  }

  async saveExecution(execution: RunbookExecution): Promise<boolean> {
    const saved = await this.table.putIf({
      Item: { ...keyOf(execution), ...execution, version: execution.version + 1 },
      ConditionExpression: 'version = :version',
      ExpressionAttributeValues: { ':version': execution.version },
    });
    return saved.written;
  }

  async listExecutions(service: ServiceId, run: number, limit: number): Promise<RunbookExecution[]> {
    const items = await this.table.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk(service), ':prefix': `RUNBOOK#${pad(run)}#` },
      },
      { limit },
    );
    return items.map((item) => fromItem<RunbookExecution>(item)).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }
}
