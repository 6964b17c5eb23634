import type { ServiceId } from '../domain/flagger';
import type { ThreadRecord, ThreadStore } from '../ports/thread-store';
import { type DynamoTable, fromItem, pad, pk } from './dynamo-table';

const threadSk = (run: number) => `THREAD#${pad(run)}`;

/** Thread records in the service's partition; plain puts, since only the service's own jobs (one at a time) write. */
export class DynamoThreadStore implements ThreadStore {
  constructor(private readonly table: DynamoTable) {}

  async getThread(service: ServiceId, run: number): Promise<ThreadRecord | undefined> {
    const item = await this.table.get({ pk: pk(service), sk: threadSk(run) });
    return item ? fromItem<ThreadRecord>(item) : undefined;
  }

  async saveThread(thread: ThreadRecord): Promise<void> {
    await this.table.put({ Item: { pk: pk(thread.service), sk: threadSk(thread.run), ...thread } });
  }
}
