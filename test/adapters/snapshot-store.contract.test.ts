import type { SnapshotStore } from '../../shared/ports/snapshot-store';
import { aSnapshot } from '../../testkit/builders';
import { freshStoreEach, SERVICE, storeHarnesses } from './store-harness';

/** The SnapshotStore contract, against every store implementation. */
describe.each(storeHarnesses())('Port: SnapshotStore > Class: $name', (harness) => {
  let store: SnapshotStore;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: saveSnapshot', () => {
    it('keeps snapshots per run and key, with missing readings and null trend points intact', async () => {
      const snapshot = aSnapshot();
      const other = { ...aSnapshot(), verdict: 'pass' as const, weight: 30 };

      await store.saveSnapshot(1, 'latest', snapshot);
      await store.saveSnapshot(1, 'confirm-promotion#1', other);

      expect(await store.getSnapshot(SERVICE, 1, 'latest')).toStrictEqual(snapshot);
      expect(await store.getSnapshot(SERVICE, 1, 'confirm-promotion#1')).toStrictEqual(other);
      expect(await store.getSnapshot(SERVICE, 2, 'latest')).toBeUndefined();
    });

    it('replaces the snapshot under the same key', async () => {
      await store.saveSnapshot(1, 'latest', aSnapshot());
      const newer = { ...aSnapshot(), takenAt: '2026-11-28T12:01:00.000Z', weight: 40 };

      await store.saveSnapshot(1, 'latest', newer);

      expect(await store.getSnapshot(SERVICE, 1, 'latest')).toStrictEqual(newer);
    });
  });
});
