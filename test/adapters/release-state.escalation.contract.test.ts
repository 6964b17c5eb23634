import type { Escalation } from '../../shared/domain/escalation';
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

const escalation = (at = minute(30), attempt = 1): Escalation => ({
  attempt,
  at,
  to: { users: ['U0ONCALL01'], groups: ['S0SRE00001'] },
});

/** The ReleaseState contract for escalation, against every store: one mark per request attempt, never a second. */
describe.each(storeHarnesses())('Port: ReleaseState (escalation) > Class: $name', (harness) => {
  let store: ReleaseState;

  freshStoreEach(harness, (fresh) => {
    store = fresh;
  });

  describe('Method: markEscalated', () => {
    it('records the escalation on a pending gate at that attempt and keeps everything else', async () => {
      await store.openGate(aGate({ approvals: { U0ALICE: minute(1) } }));

      const marked = await store.markEscalated(gateRef, escalation());

      expect(marked).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(
        aGate({ approvals: { U0ALICE: minute(1) }, escalation: escalation() }),
      );
    });

    it('refuses a second escalation of the same attempt and keeps the first', async () => {
      await store.openGate(aGate());
      await store.markEscalated(gateRef, escalation(minute(30)));

      const again = await store.markEscalated(gateRef, escalation(minute(31)));

      expect(again).toBe(false);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.escalation?.at).toBe(minute(30));
    });

    it('lets exactly one of ten concurrent marks of the same attempt win', async () => {
      await store.openGate(aGate());

      const results = await Promise.all(times(10, (i) => store.markEscalated(gateRef, escalation(minute(30 + i)))));

      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.escalation?.at).toBe(minute(30 + winner));
    });

    it.each([
      ['at the moment it expires', EXPIRES_AT],
      ['after it expired', AFTER_EXPIRY],
    ])('refuses a request %s', async (_when, at) => {
      await store.openGate(aGate());

      const marked = await store.markEscalated(gateRef, escalation(at));

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).not.toHaveProperty('escalation');
    });

    it.each([
      { name: 'an approved gate', decision: { status: 'approved' as const } },
      {
        name: 'a rejected gate',
        decision: { status: 'rejected' as const, rejection: { by: 'U0BOB', at: minute(3), reason: 'p95' } },
      },
    ])('refuses $name', async ({ decision }) => {
      await store.openGate(aGate());
      await store.decideGate(gateRef, decision, minute(3));

      const marked = await store.markEscalated(gateRef, escalation());

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).not.toHaveProperty('escalation');
    });

    it('refuses an attempt the gate has moved on from', async () => {
      await store.openGate(aGate());
      await store.rearmGate(aGate({ attempt: 2, openedAt: minute(20) }), 1);

      const marked = await store.markEscalated(gateRef, escalation());

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).not.toHaveProperty('escalation');
    });

    it('escalates a re-armed request once more: the new attempt is a new request', async () => {
      await store.openGate(aGate());
      await store.markEscalated(gateRef, escalation(minute(30)));
      const previous = await store.getGate(SERVICE, 1, gateRef.key);
      await store.rearmGate({ ...(previous ?? aGate()), attempt: 2, openedAt: minute(40) }, 1);

      const marked = await store.markEscalated({ ...gateRef, attempt: 2 }, escalation(minute(50), 2));

      expect(marked).toBe(true);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.escalation).toStrictEqual(escalation(minute(50), 2));
    });

    it('refuses a gate that was never opened, and creates nothing', async () => {
      const marked = await store.markEscalated(gateRef, escalation());

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toBeUndefined();
    });
  });

  describe('Method: markEscalationPosted', () => {
    it('marks the escalation of the attempt as posted and keeps the rest', async () => {
      await store.openGate(aGate());
      await store.markEscalated(gateRef, escalation());

      const marked = await store.markEscalationPosted(gateRef);

      expect(marked).toBe(true);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toStrictEqual(
        aGate({ escalation: { ...escalation(), posted: true } }),
      );
    });

    it('refuses a gate whose escalation is of another attempt, or that has none', async () => {
      await store.openGate(aGate());
      const none = await store.markEscalationPosted(gateRef);
      await store.markEscalated(gateRef, escalation());

      const other = await store.markEscalationPosted({ ...gateRef, attempt: 2 });

      expect([none, other]).toEqual([false, false]);
      expect((await store.getGate(SERVICE, 1, gateRef.key))?.escalation).toStrictEqual(escalation());
    });

    it('refuses a gate that was never opened, and creates nothing', async () => {
      const marked = await store.markEscalationPosted(gateRef);

      expect(marked).toBe(false);
      expect(await store.getGate(SERVICE, 1, gateRef.key)).toBeUndefined();
    });
  });
});
