import type { ServiceId } from '../domain/flagger';
import type { Snapshot } from '../domain/snapshot';
import type { SnapshotStore } from '../ports/snapshot-store';
import { type DynamoTable, fromItem, pad, pk } from './dynamo-table';

const snapshotSk = (run: number, key: string) => `SNAPSHOT#${pad(run)}#${key}`;

/** Snapshots in the service's partition, one item per run and key; a newer one replaces the older. */
export class DynamoSnapshotStore implements SnapshotStore {
  constructor(private readonly table: DynamoTable) {}

  async getSnapshot(service: ServiceId, run: number, key: string): Promise<Snapshot | undefined> {
    const item = await this.table.get({ pk: pk(service), sk: snapshotSk(run, key) });
    return item ? fromItem<Snapshot>(item) : undefined;
  }

  async saveSnapshot(run: number, key: string, snapshot: Snapshot): Promise<void> {
    await this.table.put({ Item: { pk: pk(snapshot.service), sk: snapshotSk(run, key), ...snapshot } });
  }
}
