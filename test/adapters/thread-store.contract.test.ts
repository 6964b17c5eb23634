import type { ThreadRecord, ThreadStore } from '../../shared/ports/thread-store';
import { freshStoreEach, SERVICE, storeHarnesses } from './store-harness';

/** The ThreadStore contract, against every store implementation. */
describe.each(storeHarnesses())('Port: ThreadStore > Class: $name', (harness) => {
  let store: ThreadStore;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: saveThread', () => {
    const thread: ThreadRecord = {
      service: SERVICE,
      run: 1,
      channel: 'C0RELEASES',
      ts: '1741.0001',
      posted: [],
      requests: {},
    };

    it('stores a thread with empty lists and maps', async () => {
      await store.saveThread(thread);

      expect(await store.getThread(SERVICE, 1)).toStrictEqual(thread);
    });

    it('replaces the stored thread', async () => {
      await store.saveThread(thread);
      const updated = { ...thread, posted: ['started'], requests: { 'confirm-promotion#1': '1741.0002' } };

      await store.saveThread(updated);

      expect(await store.getThread(SERVICE, 1)).toStrictEqual(updated);
    });
  });

  describe('Method: getThread', () => {
    it('returns undefined for a run without a thread', async () => {
      await store.saveThread({ service: SERVICE, run: 1, channel: 'C0', ts: '1.0', posted: [], requests: {} });

      expect(await store.getThread(SERVICE, 2)).toBeUndefined();
    });
  });
});
