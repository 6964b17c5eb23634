import { MemoryStore } from '../../shared/adapters/memory-store';
import { ConflictError, isRetryable } from '../../shared/domain/errors';
import type { Run } from '../../shared/domain/release';
import { updateRun } from '../../shared/usecases/current-run';
import { aRun } from '../../testkit/builders';

/** A store where someone else always wrote first: every conditional save of a run loses. */
class AlwaysRacedStore extends MemoryStore {
  saves = 0;
  override async saveRun(_run: Run): Promise<boolean> {
    this.saves++;
    return false;
  }
}

describe('Use case: updateRun (read-modify-write of one run)', () => {
  it('applies the change once and returns the run with its new version', async () => {
    const store = new MemoryStore();
    const run = aRun();
    await store.startRun(run, 0);

    const updated = await updateRun(store, run.service, run.number, (r) => ({ ...r, weight: 30 }));

    expect(updated).toMatchObject({ weight: 30, version: run.version + 1 });
    expect((await store.getRun(run.service, run.number))?.weight).toBe(30);
  });

  it('leaves the run alone when the change says so, and writes nothing', async () => {
    const store = new AlwaysRacedStore();
    const run = aRun();
    await store.startRun(run, 0);

    const same = await updateRun(store, run.service, run.number, () => undefined);

    expect(same).toEqual(run);
    expect(store.saves).toBe(0);
  });

  it('gives up on writes that always lose with a retryable ConflictError naming the release, not a bare Error', async () => {
    const store = new AlwaysRacedStore();
    const run = aRun();
    await store.startRun(run, 0);

    const attempt = updateRun(store, run.service, run.number, (r) => ({ ...r, weight: 30 }));

    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(updateRun(store, run.service, run.number, (r) => ({ ...r, weight: 30 }))).rejects.toThrow(
      `could not update ${run.service} release #${run.number}: too many concurrent writes`,
    );
    expect(isRetryable(await attempt.catch((e: unknown) => e))).toBe(true);
    expect(store.saves).toBeGreaterThan(1);
  });
});
