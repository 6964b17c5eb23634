import type { ServiceId } from '../domain/flagger';
import type { Snapshot } from '../domain/snapshot';

/** Metrics snapshots kept with a run, as evidence of what people saw when they decided. */
export interface SnapshotStore {
  /** A run's metrics snapshot under `key`: `latest` (the status message) or a request's `<gate key>#<attempt>`. */
  getSnapshot(service: ServiceId, run: number, key: string): Promise<Snapshot | undefined>;
  /** Stores (or replaces) the snapshot under `key`, in the partition of `snapshot.service`. */
  saveSnapshot(run: number, key: string, snapshot: Snapshot): Promise<void>;
}
