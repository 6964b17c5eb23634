import type { AuditLog } from '../../shared/ports/audit-log';
import { anAudit } from '../../testkit/builders';
import { freshStoreEach, minute, SERVICE, storeHarnesses } from './store-harness';

/** The AuditLog contract, against every store implementation. */
describe.each(storeHarnesses())('Port: AuditLog > Class: $name', (harness) => {
  let store: AuditLog;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: listAudit', () => {
    it('lists the newest entries of the service first, up to the limit', async () => {
      const entries = [3, 1, 5, 2, 4].map((n) => anAudit({ at: minute(n), detail: `entry ${n}` }));
      for (const entry of entries) await store.appendAudit(entry);
      await store.appendAudit(anAudit({ service: 'payments/worker', at: minute(9) }));

      const listed = await store.listAudit(SERVICE, 3);

      expect(listed).toStrictEqual([5, 4, 3].map((n) => anAudit({ at: minute(n), detail: `entry ${n}` })));
    });

    it('keeps every entry appended at the same instant', async () => {
      await store.appendAudit(anAudit({ detail: 'first' }));
      await store.appendAudit(anAudit({ detail: 'second' }));

      const listed = await store.listAudit(SERVICE, 10);

      expect(listed.map((entry) => entry.detail).sort()).toEqual(['first', 'second']);
    });

    it('returns an empty list for a service without entries', async () => {
      const listed = await store.listAudit(SERVICE, 10);

      expect(listed).toEqual([]);
    });

    it('lists accepted entries apart from refused and duplicate attempts, newest first, each slice to its limit', async () => {
      await store.appendAudit(anAudit({ at: minute(1), detail: 'approval 1/1' }));
      for (let n = 2; n <= 40; n++)
        await store.appendAudit(anAudit({ at: minute(n), actor: 'U0STRANGER', outcome: 'refused', detail: `no ${n}` }));
      await store.appendAudit(anAudit({ at: minute(41), outcome: 'duplicate', detail: 'approved again' }));

      const accepted = await store.listAudit(SERVICE, 5, 'accepted');
      const attempts = await store.listAudit(SERVICE, 3, 'attempts');
      const all = await store.listAudit(SERVICE, 100, 'all');
      const byDefault = await store.listAudit(SERVICE, 2);

      expect(accepted).toStrictEqual([anAudit({ at: minute(1), detail: 'approval 1/1' })]);
      expect(attempts.map((entry) => entry.detail)).toEqual(['approved again', 'no 40', 'no 39']);
      // The trail as a whole stays complete, every outcome merged newest first.
      expect(all).toHaveLength(41);
      expect(all.at(-1)?.detail).toBe('approval 1/1');
      expect(byDefault.map((entry) => entry.detail)).toEqual(['approved again', 'no 40']);
    });
  });
});
