import type { AuditLog } from '../../shared/ports/audit-log';
import type { ReleaseState } from '../../shared/ports/release-state';
import { aGate, anAudit, aRun } from '../../testkit/builders';
import { freshStoreEach, minute, SERVICE, storeHarnesses, times } from './store-harness';

/** The ReleaseState contract, against every store implementation: runs, the current run and the pause of a service. */
describe.each(storeHarnesses())('Port: ReleaseState (runs) > Class: $name', (harness) => {
  let store: ReleaseState;
  /** The same store as an audit log: runs are listed apart from the other items of their partition. */
  let audit: AuditLog;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
    audit = fresh;
  });

  describe('Method: getService', () => {
    it('returns undefined for a service it never saw', async () => {
      const record = await store.getService('unknown/service');

      expect(record).toBeUndefined();
    });
  });

  describe('Method: readHookState', () => {
    it('reads nothing for a service it never saw', async () => {
      expect(await store.readHookState('unknown/service', ['confirm-promotion'])).toStrictEqual({
        service: undefined,
        run: undefined,
        gates: [],
      });
    });

    it('reads the record, the current run and the asked gates of that run that exist, not those of older runs', async () => {
      await store.startRun(aRun({ number: 1 }), 0);
      await store.openGate(aGate({ run: 1, key: 'confirm-promotion' }));
      await store.startRun(aRun({ number: 2 }), 1);
      const promotion = aGate({ run: 2, key: 'confirm-promotion' });
      await store.openGate(promotion);
      await store.openGate(aGate({ run: 2, key: 'confirm-rollout' }));

      const read = await store.readHookState(SERVICE, [
        'confirm-promotion',
        'confirm-traffic-increase@10',
        'confirm-promotion',
      ]);

      expect(read).toStrictEqual({
        service: { service: SERVICE, runCount: 2 },
        run: aRun({ number: 2 }),
        gates: [promotion],
      });
    });

    it('reads a service with no run yet (only paused) as a record without a run', async () => {
      await store.setPaused(SERVICE, { by: 'U0ALICE', at: minute(1), reason: 'freeze' });

      const read = await store.readHookState(SERVICE, ['confirm-promotion']);

      expect(read.run).toBeUndefined();
      expect(read.service?.paused?.reason).toBe('freeze');
    });
  });

  describe('Method: startRun', () => {
    it('stores the first run and makes it current', async () => {
      const run = aRun({ number: 1 });

      const started = await store.startRun(run, 0);

      expect(started).toBe(true);
      expect(await store.getRun(SERVICE, 1)).toStrictEqual(run);
      expect(await store.getService(SERVICE)).toStrictEqual({ service: SERVICE, runCount: 1 });
    });

    it('makes the next run current when the current one is still the previous count', async () => {
      await store.startRun(aRun({ number: 1 }), 0);

      const started = await store.startRun(aRun({ number: 2 }), 1);

      expect(started).toBe(true);
      expect((await store.getService(SERVICE))?.runCount).toBe(2);
    });

    it('refuses when another run became current since the previous count', async () => {
      await store.startRun(aRun({ number: 1 }), 0);
      await store.startRun(aRun({ number: 2 }), 1);

      const started = await store.startRun(aRun({ number: 2, openingChecksum: 'sha256:other' }), 1);

      expect(started).toBe(false);
      expect((await store.getService(SERVICE))?.runCount).toBe(2);
      expect((await store.getRun(SERVICE, 2))?.openingChecksum).toBe('sha256:aaaaaaaaaaaa');
    });

    it('refuses a previous count above zero for a service it never saw', async () => {
      const started = await store.startRun(aRun({ number: 4 }), 3);

      expect(started).toBe(false);
      expect(await store.getService(SERVICE)).toBeUndefined();
    });

    it('keeps a run left over from an earlier attempt instead of overwriting it', async () => {
      await store.startRun(aRun({ number: 1, openingChecksum: 'sha256:leftover' }), 7);

      const started = await store.startRun(aRun({ number: 1, openingChecksum: 'sha256:retry' }), 0);

      expect(started).toBe(true);
      expect((await store.getRun(SERVICE, 1))?.openingChecksum).toBe('sha256:leftover');
    });

    it.each([0, 1])('lets exactly one of ten racing starts from previous count %i win', async (previousCount) => {
      if (previousCount > 0) await store.startRun(aRun({ number: previousCount }), 0);
      const racers = times(10, (i) => aRun({ number: previousCount + 1, openingChecksum: `sha256:racer-${i}` }));

      const results = await Promise.all(racers.map((run) => store.startRun(run, previousCount)));

      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getService(SERVICE))?.runCount).toBe(previousCount + 1);
    });

    it('keeps the pause of a paused service', async () => {
      const paused = { by: 'U0OPS', at: minute(1), reason: 'incident' };
      await store.setPaused(SERVICE, paused);

      await store.startRun(aRun({ number: 1 }), 0);

      expect(await store.getService(SERVICE)).toStrictEqual({ service: SERVICE, runCount: 1, paused });
    });
  });

  describe('Method: getRun', () => {
    it('returns undefined for a run that was never started', async () => {
      await store.startRun(aRun({ number: 1 }), 0);

      const run = await store.getRun(SERVICE, 2);

      expect(run).toBeUndefined();
    });

    it('returns copies that callers cannot use to change stored state', async () => {
      const run = aRun();
      await store.startRun(run, 0);
      run.timeline.push({ at: minute(2), text: 'mutated input' });

      const read = await store.getRun(SERVICE, 1);
      read?.timeline.push({ at: minute(3), text: 'mutated output' });

      expect((await store.getRun(SERVICE, 1))?.timeline).toStrictEqual([
        { at: '2025-03-04T10:00:00.000Z', text: 'New revision detected' },
      ]);
    });
  });

  describe('Method: saveRun', () => {
    it('saves a change made from the stored version and bumps the version', async () => {
      await store.startRun(aRun(), 0);
      const ended = aRun({
        state: 'ended',
        phase: 'Failed',
        outcome: 'failed',
        endedAt: minute(5),
        rollback: { by: 'U0OPS', at: minute(4), reason: 'errors' },
        timeline: [{ at: minute(4), text: 'Rolled back', warning: true }],
      });

      const saved = await store.saveRun(ended);

      expect(saved).toBe(true);
      expect(await store.getRun(SERVICE, 1)).toStrictEqual({ ...ended, version: 1 });
    });

    it('refuses a save made from a stale copy', async () => {
      await store.startRun(aRun(), 0);
      await store.saveRun(aRun({ phase: 'Progressing' }));

      const saved = await store.saveRun(aRun({ phase: 'Failed' }));

      expect(saved).toBe(false);
      expect(await store.getRun(SERVICE, 1)).toMatchObject({ phase: 'Progressing', version: 1 });
    });

    it('refuses to save a run that was never started', async () => {
      const saved = await store.saveRun(aRun({ number: 3 }));

      expect(saved).toBe(false);
      expect(await store.getRun(SERVICE, 3)).toBeUndefined();
    });

    it('lets exactly one of ten concurrent saves from the same copy win', async () => {
      await store.startRun(aRun(), 0);

      const results = await Promise.all(times(10, (i) => store.saveRun(aRun({ weight: i * 10 }))));

      const winner = results.indexOf(true);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.getRun(SERVICE, 1)).toMatchObject({ weight: winner * 10, version: 1 });
    });
  });

  describe('Method: listRuns', () => {
    it('lists the newest runs of the service first, up to the limit', async () => {
      for (let number = 1; number <= 5; number++) await store.startRun(aRun({ number }), number - 1);
      await store.startRun(aRun({ service: 'payments/worker', number: 9 }), 0);
      await store.openGate(aGate({ run: 5 }));
      await audit.appendAudit(anAudit({ run: 5 }));

      const runs = await store.listRuns(SERVICE, 3);

      expect(runs.map((run) => run.number)).toEqual([5, 4, 3]);
      expect(runs[0]).toStrictEqual(aRun({ number: 5 }));
    });

    it('returns an empty list for a service without runs', async () => {
      await store.setPaused(SERVICE, undefined);

      const runs = await store.listRuns(SERVICE, 10);

      expect(runs).toEqual([]);
    });
  });

  describe('Method: setPaused', () => {
    it('creates the service record with no run when the service is unknown', async () => {
      const paused = { by: 'U0OPS', at: minute(1), reason: 'freeze' };

      await store.setPaused(SERVICE, paused);

      expect(await store.getService(SERVICE)).toStrictEqual({ service: SERVICE, runCount: 0, paused });
    });

    it('clears the pause and keeps the run count', async () => {
      await store.startRun(aRun({ number: 1 }), 0);
      await store.setPaused(SERVICE, { by: 'U0OPS', at: minute(1), reason: 'freeze' });

      await store.setPaused(SERVICE, undefined);

      expect(await store.getService(SERVICE)).toStrictEqual({ service: SERVICE, runCount: 1 });
    });

    it('lets the first run start on a service that was only paused', async () => {
      await store.setPaused(SERVICE, undefined);

      const started = await store.startRun(aRun({ number: 1 }), 0);

      expect(started).toBe(true);
      expect((await store.getService(SERVICE))?.runCount).toBe(1);
    });
  });
});
