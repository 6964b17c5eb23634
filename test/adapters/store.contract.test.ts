import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dynalite, documentClient, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable, DynamoStore } from '../../shared/adapters/dynamo-store';
import { MemoryStore } from '../../shared/adapters/memory-store';
import type { ReleaseStore, ThreadRecord } from '../../shared/ports/store';
import { aGate, anAudit, aRun, aSnapshot } from '../fixtures/builders';

interface Harness {
  name: string;
  setUp(): Promise<void>;
  /** A store with nothing in it. */
  fresh(): Promise<ReleaseStore>;
  tearDown(): Promise<void>;
}

const memory: Harness = {
  name: 'MemoryStore',
  setUp: async () => {},
  fresh: async () => new MemoryStore(),
  tearDown: async () => {},
};

function dynamo(): Harness {
  let server: Dynalite | undefined;
  let tables = 0;
  return {
    name: 'DynamoStore',
    setUp: async () => {
      server = await startDynalite({});
    },
    fresh: async () => {
      if (!server) throw new Error('dynalite is not started');
      const tableName = `release-bot-${++tables}`;
      await createTable(dynamoClient(server.endpoint), tableName);
      return new DynamoStore({ client: documentClient(server.endpoint), tableName });
    },
    tearDown: async () => server?.close(),
  };
}

const SERVICE = 'payments/api';
const gateRef = { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 };
const minute = (n: number) => `2025-03-04T10:${String(n).padStart(2, '0')}:00.000Z`;
/** aGate()'s expiry, and a moment after it. */
const EXPIRES_AT = '2025-03-04T11:00:00.000Z';
const AFTER_EXPIRY = '2025-03-04T11:30:00.000Z';
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe.each([memory, dynamo()])('Class: $name', (harness) => {
  let store: ReleaseStore;

  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());
  beforeEach(async () => {
    store = await harness.fresh();
  });

  describe('Method: getService', () => {
    it('returns undefined for a service it never saw', async () => {
      const record = await store.getService('unknown/service');

      expect(record).toBeUndefined();
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
      await store.appendAudit(anAudit({ run: 5 }));

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

describe('Class: DynamoStore', () => {
  describe('Function: startDynalite', () => {
    let dataDir: string;

    beforeEach(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'release-bot-dynalite-'));
    });
    afterEach(() => rm(dataDir, { recursive: true, force: true }));

    it('keeps what the store wrote across a restart on the same data directory', async () => {
      const first = await startDynalite({ dataDir });
      await createTable(dynamoClient(first.endpoint), 'release-bot');
      const run = aRun();
      await new DynamoStore({ client: documentClient(first.endpoint), tableName: 'release-bot' }).startRun(run, 0);
      await first.close();

      const second = await startDynalite({ dataDir });
      await createTable(dynamoClient(second.endpoint), 'release-bot');
      const store = new DynamoStore({ client: documentClient(second.endpoint), tableName: 'release-bot' });
      const read = { run: await store.getRun(SERVICE, 1), service: await store.getService(SERVICE) };
      await second.close();

      expect(read).toStrictEqual({ run, service: { service: SERVICE, runCount: 1 } });
    });
  });
});
