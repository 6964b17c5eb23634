import type { ReleaseState } from '../../shared/ports/release-state';
import { aGate } from '../../testkit/builders';
import {
  AFTER_EXPIRY,
  EXPIRES_AT,
  freshStoreEach,
  gateRef,
  minute,
  SERVICE,
  storeHarnesses,
  times,
} from './store-harness';

/** The ReleaseState contract, against every store implementation: approvals and decisions: concurrent, and at the moment of the decision. */
describe.each(storeHarnesses())('Port: ReleaseState (decisions) > Class: $name', (harness) => {
  let store: ReleaseState;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: addApproval', () => {
    beforeEach(async () => {
      await store.openGate(aGate());
    });

    it('adds the approval of a user to a pending gate', async () => {
      const result = await store.addApproval(gateRef, 'U0ALICE', minute(1));

      expect(result).toStrictEqual({ gate: aGate({ approvals: { U0ALICE: minute(1) } }), added: true });
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.approvals).toStrictEqual({ U0ALICE: minute(1) });
    });

    it('reports added false and keeps the first time when the user approves again', async () => {
      await store.addApproval(gateRef, 'U0ALICE', minute(1));

      const result = await store.addApproval(gateRef, 'U0ALICE', minute(2));

      expect(result).toStrictEqual({ gate: aGate({ approvals: { U0ALICE: minute(1) } }), added: false });
    });

    it('counts each of 7 users once among 20 concurrent approvals', async () => {
      const users = times(20, (i) => `U0USER${i % 7}`);

      const results = await Promise.all(users.map((user, i) => store.addApproval(gateRef, user, minute(i))));

      const stored = await store.getGate(SERVICE, 1, gateRef.key);
      expect(results.filter((result) => result?.added)).toHaveLength(7);
      expect(results.every((result) => result !== undefined)).toBe(true);
      expect(Object.keys(stored?.approvals ?? {}).sort()).toEqual(times(7, (i) => `U0USER${i}`));
    });

    it('returns undefined for another attempt of the gate', async () => {
      const result = await store.addApproval({ ...gateRef, attempt: 2 }, 'U0ALICE', minute(1));

      expect(result).toBeUndefined();
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.approvals).toStrictEqual({});
    });

    it('returns undefined for a decided gate', async () => {
      await store.decideGate(gateRef, { status: 'approved' }, minute(1));

      const result = await store.addApproval(gateRef, 'U0ALICE', minute(2));

      expect(result).toBeUndefined();
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.approvals).toStrictEqual({});
    });

    it('returns undefined and stores nothing once the request expired at the moment of the approval', async () => {
      const result = await store.addApproval(gateRef, 'U0ALICE', EXPIRES_AT);
      const later = await store.addApproval(gateRef, 'U0BOB', AFTER_EXPIRY);

      expect(result).toBeUndefined();
      expect(later).toBeUndefined();
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.approvals).toStrictEqual({});
    });

    it('returns undefined for an approval repeated after the request expired', async () => {
      await store.addApproval(gateRef, 'U0ALICE', minute(1));

      const result = await store.addApproval(gateRef, 'U0ALICE', AFTER_EXPIRY);

      expect(result).toBeUndefined();
    });

    it('lands only the approvals made before the expiry among concurrent ones around it', async () => {
      const moments = times(10, (i) => (i % 2 === 0 ? minute(i) : AFTER_EXPIRY));

      const results = await Promise.all(moments.map((at, i) => store.addApproval(gateRef, `U0USER${i}`, at)));

      const stored = await store.getGate(SERVICE, 1, gateRef.key);
      expect(results.map((result) => result?.added ?? false)).toEqual(times(10, (i) => i % 2 === 0));
      expect(Object.keys(stored?.approvals ?? {}).sort()).toEqual([
        'U0USER0',
        'U0USER2',
        'U0USER4',
        'U0USER6',
        'U0USER8',
      ]);
    });

    it('returns undefined for a gate that was never opened', async () => {
      const result = await store.addApproval({ ...gateRef, key: 'confirm-rollout' }, 'U0ALICE', minute(1));

      expect(result).toBeUndefined();
      expect(await store.getGate(SERVICE, 1, 'confirm-rollout')).toBeUndefined();
    });
  });

  describe('Method: decideGate', () => {
    beforeEach(async () => {
      await store.openGate(aGate());
    });

    it('approves a pending gate', async () => {
      const decided = await store.decideGate(gateRef, { status: 'approved' }, minute(3));

      expect(decided).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(
        aGate({ status: 'approved', decidedAt: minute(3) }),
      );
    });

    it('rejects a pending gate with the rejection', async () => {
      const rejection = { by: 'U0BOB', at: minute(3), reason: 'latency' };

      const decided = await store.decideGate(gateRef, { status: 'rejected', rejection }, minute(3));

      expect(decided).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(
        aGate({ status: 'rejected', decidedAt: minute(3), rejection }),
      );
    });

    it('refuses another attempt of the gate', async () => {
      const decided = await store.decideGate({ ...gateRef, attempt: 2 }, { status: 'approved' }, minute(3));

      expect(decided).toBe(false);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.status).toBe('pending');
    });

    it('refuses a gate that was already decided', async () => {
      await store.decideGate(gateRef, { status: 'approved' }, minute(3));
      const rejection = { by: 'U0BOB', at: minute(4), reason: 'too late' };

      const decided = await store.decideGate(gateRef, { status: 'rejected', rejection }, minute(4));

      expect(decided).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toMatchObject({ status: 'approved', decidedAt: minute(3) });
    });

    it.each([
      { decision: { status: 'approved' } as const },
      { decision: { status: 'rejected', rejection: { by: 'U0BOB', at: EXPIRES_AT, reason: 'late' } } as const },
    ])(
      'refuses to move an expired request to $decision.status, and moves it a millisecond before',
      async ({ decision }) => {
        const atExpiry = await store.decideGate(gateRef, decision, EXPIRES_AT);
        const after = await store.decideGate(gateRef, decision, AFTER_EXPIRY);
        const unchanged = await store.getGate(SERVICE, 1, gateRef.key);
        const before = await store.decideGate(gateRef, decision, '2025-03-04T10:59:59.999Z');

        expect([atExpiry, after, before]).toEqual([false, false, true]);
        expect(unchanged).toStrictEqual(aGate());
      },
    );

    it('refuses a gate that was never opened', async () => {
      const ref = { ...gateRef, key: 'confirm-rollout' };

      const decided = await store.decideGate(ref, { status: 'approved' }, minute(3));

      expect(decided).toBe(false);
      expect(await store.getGate(SERVICE, 1, 'confirm-rollout')).toBeUndefined();
    });

    it('lets exactly one of 20 concurrent decisions win', async () => {
      const decisions = times(20, (i) =>
        i % 2 === 0
          ? ({ status: 'approved' } as const)
          : ({ status: 'rejected', rejection: { by: `U0USER${i}`, at: minute(i), reason: 'no' } } as const),
      );

      const results = await Promise.all(decisions.map((decision, i) => store.decideGate(gateRef, decision, minute(i))));

      const winner = results.indexOf(true);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toMatchObject({
        status: decisions[winner]?.status,
        decidedAt: minute(winner),
      });
    });
  });
});
