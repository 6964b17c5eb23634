import type { ReleaseState } from '../../shared/ports/release-state';
import { aGate } from '../../testkit/builders';
import { freshStoreEach, gateRef, minute, SERVICE, storeHarnesses, times } from './store-harness';

/** The ReleaseState contract, against every store implementation: opening gates, and moving them to their next attempt. */
describe.each(storeHarnesses())('Port: ReleaseState (gates) > Class: $name', (harness) => {
  let store: ReleaseState;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: getGate', () => {
    it('returns undefined for a gate that was never opened', async () => {
      await store.openGate(aGate({ key: 'confirm-rollout', gate: 'confirm-rollout' }));

      const gate = await store.getGate(SERVICE, 1, 'confirm-promotion');

      expect(gate).toBeUndefined();
    });
  });

  describe('Method: listGates', () => {
    it('lists every gate of the run and none of other runs or services', async () => {
      const keys = ['confirm-rollout', 'confirm-traffic-increase@10', 'confirm-traffic-increase@20'];
      for (const key of keys) await store.openGate(aGate({ key }));
      await store.openGate(aGate({ run: 10 }));
      await store.openGate(aGate({ run: 2 }));
      await store.openGate(aGate({ service: 'payments/worker' }));

      const gates = await store.listGates(SERVICE, 1);

      expect(gates.map((gate) => gate.key).sort()).toEqual(keys);
      expect(gates.every((gate) => gate.run === 1 && gate.service === SERVICE)).toBe(true);
    });
  });

  describe('Method: openGate', () => {
    it('stores a new gate, empty approvals included', async () => {
      const gate = aGate({ key: 'confirm-traffic-increase@30', gate: 'confirm-traffic-increase', targetWeight: 30 });

      const result = await store.openGate(gate);

      expect(result).toStrictEqual({ gate, created: true });
      expect(await store.getGate(SERVICE, 1, 'confirm-traffic-increase@30')).toStrictEqual(gate);
    });

    it('returns the stored gate and created false when one exists', async () => {
      const first = aGate({ evidence: 'first' });
      await store.openGate(first);

      const result = await store.openGate(aGate({ evidence: 'second' }));

      expect(result).toStrictEqual({ gate: first, created: false });
      expect((await store.getGate(SERVICE, 1, first.key))?.evidence).toBe('first');
    });

    it('creates exactly one of ten concurrent opens and returns it to every caller', async () => {
      const results = await Promise.all(times(10, (i) => store.openGate(aGate({ evidence: `opener ${i}` }))));

      const winner = results.find((result) => result.created);
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(new Set(results.map((result) => result.gate.evidence))).toEqual(new Set([winner?.gate.evidence]));
    });
  });

  describe('Method: rearmGate', () => {
    const next = aGate({ attempt: 2, openedAt: minute(30), expiresAt: minute(59) });

    it('replaces a pending gate still at the attempt with its next attempt', async () => {
      await store.openGate(aGate({ approvals: { U0ALICE: minute(1) } }));

      const rearmed = await store.rearmGate(next, 1);

      expect(rearmed).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(next);
    });

    it('refuses when the gate moved on to another attempt', async () => {
      await store.openGate(aGate());
      await store.rearmGate(next, 1);

      const rearmed = await store.rearmGate(aGate({ attempt: 2, evidence: 'stale' }), 1);

      expect(rearmed).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(next);
    });

    it('refuses a decided gate', async () => {
      await store.openGate(aGate());
      await store.decideGate(gateRef, { status: 'approved' }, minute(3));

      const rearmed = await store.rearmGate(next, 1);

      expect(rearmed).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toMatchObject({ status: 'approved', attempt: 1 });
    });

    it('refuses a gate that was never opened', async () => {
      const rearmed = await store.rearmGate(next, 1);

      expect(rearmed).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toBeUndefined();
    });

    it('lets exactly one of ten concurrent re-arms from the same attempt win', async () => {
      await store.openGate(aGate());

      const results = await Promise.all(times(10, () => store.rearmGate(next, 1)));

      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.attempt).toBe(2);
    });
  });

  describe('Method: markRequestPosted', () => {
    it('marks the attempt of the gate as posted and keeps everything else', async () => {
      await store.openGate(aGate({ approvals: { U0ALICE: minute(1) } }));

      const marked = await store.markRequestPosted(gateRef);

      expect(marked).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(
        aGate({ approvals: { U0ALICE: minute(1) }, requestPosted: 1 }),
      );
    });

    it('refuses another attempt, so a late job cannot mark the newer request posted', async () => {
      await store.openGate(aGate());
      await store.rearmGate(aGate({ attempt: 2 }), 1);

      const marked = await store.markRequestPosted(gateRef);

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).not.toHaveProperty('requestPosted');
    });

    it('refuses a gate that was never opened, and creates nothing', async () => {
      const marked = await store.markRequestPosted(gateRef);

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toBeUndefined();
    });
  });

  describe('Method: reopenGate', () => {
    const next = aGate({ attempt: 2, openedAt: minute(30), expiresAt: minute(59), approvals: { U0BOB: minute(2) } });

    it('replaces an approved gate still at the attempt with its next, pending attempt', async () => {
      await store.openGate(aGate({ quorum: 1 }));
      await store.addApproval(gateRef, 'U0DEPLOYER', minute(2));
      await store.decideGate(gateRef, { status: 'approved' }, minute(2));

      const reopened = await store.reopenGate(next, 1);

      expect(reopened).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(next);
    });

    it.each([
      { name: 'a pending gate', decide: async () => {} },
      {
        name: 'a rejected gate',
        decide: () =>
          store.decideGate(
            gateRef,
            { status: 'rejected', rejection: { by: 'U0BOB', at: minute(3), reason: 'p95' } },
            minute(3),
          ),
      },
    ])('refuses $name', async ({ decide }) => {
      await store.openGate(aGate());
      await decide();
      const before = await store.getGate(SERVICE, 1, gateRef.key);

      const reopened = await store.reopenGate(next, 1);

      expect(reopened).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(before);
    });

    it('refuses a gate that was never opened', async () => {
      const reopened = await store.reopenGate(next, 1);

      expect(reopened).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toBeUndefined();
    });

    it('lets exactly one of ten concurrent reopens from the same attempt win', async () => {
      await store.openGate(aGate());
      await store.decideGate(gateRef, { status: 'approved' }, minute(2));

      const results = await Promise.all(times(10, () => store.reopenGate(next, 1)));

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toMatchObject({ status: 'pending', attempt: 2 });
    });
  });
});
