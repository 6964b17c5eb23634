import { runbookSchema } from '../../shared/config/runbooks';
import { newExecution, type RunbookExecution } from '../../shared/domain/runbook';
import type { RunbookStore } from '../../shared/ports/runbook-store';
import { freshStoreEach, SERVICE, storeHarnesses, times } from './store-harness';

const definition = runbookSchema.parse({ steps: [{ kind: 'signal-flagger' }, { kind: 'snapshot' }] });

const anExecution = (id: string, run = 1, at = '2025-03-04T10:00:00.000Z'): RunbookExecution =>
  newExecution({
    service: SERVICE,
    run,
    id,
    runbook: 'rollback',
    definition,
    dryRun: false,
    trigger: { cause: 'alert', by: 'alertmanager', reason: 'alert HighErrorRate (critical)' },
    now: new Date(at),
  });

/** The RunbookStore contract, against every store implementation. */
describe.each(storeHarnesses())('Port: RunbookStore > Class: $name', (harness) => {
  let store: RunbookStore;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: createExecution', () => {
    it('stores a new execution once: a second create of the same id returns the stored one, unchanged', async () => {
      const first = anExecution('rollback');
      const second = {
        ...anExecution('rollback'),
        trigger: { cause: 'person' as const, by: 'U0BOB', reason: 'again' },
      };

      const created = await store.createExecution(first);
      const again = await store.createExecution(second);

      expect(created).toEqual({ execution: first, created: true });
      expect(again).toEqual({ execution: first, created: false });
      expect(await store.getExecution(SERVICE, 1, 'rollback')).toEqual(first);
    });

    it('creates one execution when ten racers create the same id at once', async () => {
      const results = await Promise.all(times(10, () => store.createExecution(anExecution('rollback'))));

      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await store.listExecutions(SERVICE, 1, 10)).toHaveLength(1);
    });

    it('keeps executions of different runs apart', async () => {
      await store.createExecution(anExecution('rollback', 1));

      expect(await store.getExecution(SERVICE, 2, 'rollback')).toBeUndefined();
      expect(await store.listExecutions(SERVICE, 2, 10)).toEqual([]);
    });
  });

  describe('Method: saveExecution', () => {
    it('saves from the current version and bumps it; a save from a stale copy loses and changes nothing', async () => {
      const { execution } = await store.createExecution(anExecution('rollback'));
      const advanced = { ...execution, next: 1, lease: { owner: 'worker-a', until: '2025-03-04T10:01:00.000Z' } };

      const won = await store.saveExecution(advanced);
      const stale = await store.saveExecution({ ...execution, next: 2, lease: { owner: 'worker-b', until: 'x' } });

      expect([won, stale]).toEqual([true, false]);
      expect(await store.getExecution(SERVICE, 1, 'rollback')).toEqual({ ...advanced, version: execution.version + 1 });
    });

    it('lets exactly one of two racing workers advance the same version', async () => {
      const { execution } = await store.createExecution(anExecution('rollback'));

      const results = await Promise.all(
        ['a', 'b'].map((owner) => store.saveExecution({ ...execution, lease: { owner, until: 'later' } })),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('Method: listExecutions', () => {
    it("lists a run's executions oldest first, at most `limit`", async () => {
      await store.createExecution(anExecution('dry-run:rollback@3', 1, '2025-03-04T10:03:00.000Z'));
      await store.createExecution(anExecution('rollback', 1, '2025-03-04T10:01:00.000Z'));
      await store.createExecution(anExecution('traffic-check@2', 1, '2025-03-04T10:02:00.000Z'));

      const all = await store.listExecutions(SERVICE, 1, 10);

      expect(all.map((e) => e.id)).toEqual(['rollback', 'traffic-check@2', 'dry-run:rollback@3']);
      expect(await store.listExecutions(SERVICE, 1, 2)).toHaveLength(2);
    });
  });
});
