import fc from 'fast-check';
import { MemoryStore } from '../../shared/adapters/memory-store';
import { parseConfig } from '../../shared/config/load';
import { TEXT_LIMITS } from '../../shared/domain/bounds';
import type { Gate } from '../../shared/domain/gate';
import type { DecisionOutcome } from '../../shared/domain/outcomes';
import type { Run } from '../../shared/domain/release';
import type { Directory, Membership } from '../../shared/ports/chat';
import type { Job } from '../../shared/ports/queue';
import { decisionText } from '../../shared/slack/answers';
import { replyFor } from '../../shared/slack/replies';
import { approve, reject, requestRollback, setPause } from '../../shared/usecases/decisions';
import type { Deps } from '../../shared/usecases/deps';
import { aGate, aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const APPROVERS = Array.from({ length: 12 }, (_, i) => `U0APPROVER${String(i).padStart(2, '0')}`);
const [ALICE = '', BOB = '', CAROL = ''] = APPROVERS;
const CONFIG = parseConfig(`
services:
  ${SERVICE}:
    channel: C0RELEASES1
    approvers: { users: [${APPROVERS.join(', ')}], groups: [S0SRE00001] }
    gates: { confirm-promotion: manual }
`);
const OPENED = '2025-03-04T10:00:00.000Z';
const EXPIRES = '2025-03-04T11:00:00.000Z';
const BEFORE_EXPIRY = new Date('2025-03-04T10:30:00.000Z');
const REQUEST = { run: 1, gate: 'confirm-promotion', attempt: 1 };

/** A directory that answers from a table and records whom it was asked about. */
function fakeDirectory(answer: (user: string) => Promise<Membership>): Directory & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    groupsOf: (user) => {
      asked.push(user);
      return answer(user);
    },
  };
}
const never = () => new Promise<Membership>(() => {});

/** MemoryStore whose next addApproval runs `afterApproval` before it returns: a rejection landing in between. */
class InterleavingStore extends MemoryStore {
  afterApproval: (() => Promise<unknown>) | undefined;

  override async addApproval(...args: Parameters<MemoryStore['addApproval']>) {
    const result = await super.addApproval(...args);
    const hook = this.afterApproval;
    this.afterApproval = undefined;
    if (hook) await hook();
    return result;
  }
}

async function setUp(options: { run?: Partial<Run>; gate?: Partial<Gate>; directory?: Directory; now?: Date } = {}) {
  const store = new InterleavingStore();
  const jobs: Job[] = [];
  let now = options.now ?? BEFORE_EXPIRY;
  const deps: Deps = {
    config: CONFIG,
    store,
    queue: { send: async (job) => void jobs.push(job) },
    now: () => now,
    directory: options.directory ?? fakeDirectory(async () => ({ groups: [] })),
  };
  const run = aRun({ service: SERVICE, state: 'progressing', phase: 'Progressing', weight: 50, hooks: ['rollback'] });
  await store.startRun({ ...run, ...options.run }, 0);
  await store.openGate(aGate({ service: SERVICE, quorum: 1, openedAt: OPENED, expiresAt: EXPIRES, ...options.gate }));
  const gate = async () => store.getGate(SERVICE, 1, 'confirm-promotion');
  const audit = async () => store.listAudit(SERVICE, 1000);
  const events = () => jobs.flatMap((job) => (job.kind === 'event' ? [job.event] : []));
  /** The thread replies the Slack presenter makes of the events published. */
  const announced = () => events().flatMap((event) => replyFor(event)?.text ?? []);
  const setNow = (at: Date) => {
    now = at;
  };
  return { deps, store, jobs, events, gate, audit, announced, setNow };
}

/** Took effect, or the person's own decision already holds. */
const ok = (outcome: DecisionOutcome | undefined) => outcome !== undefined && outcome.result !== 'refused';
/** The outcome as the Slack presenter tells it to the person. */
const said = (outcome: DecisionOutcome) => decisionText(outcome);

const who = (user: string, request = true) => ({ user, via: 'C0RELEASES1', ...(request ? { request: REQUEST } : {}) });
const expired =
  "This request expired at 11:00 UTC without a decision; Flagger's next check will ask again with a new request.";

describe('Use case: decisions on an expired request', () => {
  it.each([
    { at: '2025-03-04T11:00:00.000Z', path: 'button' },
    { at: '2025-03-04T12:30:00.000Z', path: 'button' },
    { at: '2025-03-04T11:00:00.000Z', path: 'slash command' },
  ])(
    'refuses an approval at $at ($path) though Flagger has not called since, and audits it refused',
    async ({ at, path }) => {
      const t = await setUp({ now: new Date(at) });

      const result = await approve(t.deps, SERVICE, who(ALICE, path === 'button'));

      expect(result).toMatchObject({ result: 'refused', code: 'expired' });
      expect(said(result)).toBe(expired);
      expect(await t.gate()).toMatchObject({ status: 'pending', approvals: {} });
      expect((await t.audit())[0]).toMatchObject({ actor: ALICE, action: 'approve', outcome: 'refused' });
      expect(t.announced()).toEqual([]);
    },
  );

  it('refuses a rejection after expiry: the gate stays pending and no rollback is requested', async () => {
    const t = await setUp({ now: new Date('2025-03-04T11:00:00.001Z') });

    const result = await reject(t.deps, SERVICE, who(BOB), 'too slow');

    expect(result).toMatchObject({ result: 'refused', code: 'expired' });
    expect(said(result)).toBe(expired);
    expect((await t.gate())?.status).toBe('pending');
    expect((await t.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
    expect((await t.audit())[0]).toMatchObject({ actor: BOB, action: 'reject', outcome: 'refused' });
  });

  it('refuses an approval at the expiry, and opens the gate for one a millisecond before it', async () => {
    const t = await setUp({ now: new Date(EXPIRES) });

    const atExpiry = await approve(t.deps, SERVICE, who(ALICE));
    t.setNow(new Date('2025-03-04T10:59:59.999Z'));
    const before = await approve(t.deps, SERVICE, who(BOB));

    expect([ok(atExpiry), ok(before)]).toEqual([false, true]);
    expect(await t.gate()).toMatchObject({ status: 'approved', approvals: { [BOB]: '2025-03-04T10:59:59.999Z' } });
  });
});

describe('Use case: self-approval belongs to the release run', () => {
  it('refuses an approval by anyone any hook of the run named as deployer', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE, BOB] } });

    const result = await approve(t.deps, SERVICE, who(BOB));

    expect(ok(result)).toBe(false);
    expect(said(result)).toContain(
      "you deployed this release of production/product-service, and it needs someone else's approval",
    );
    expect((await t.gate())?.status).toBe('pending');
  });

  it('lets the deployer reject their own release', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE] } });

    const rejected = await reject(t.deps, SERVICE, who(ALICE), 'I broke it');

    expect(ok(rejected)).toBe(true);
    expect((await t.gate())?.rejection?.by).toBe(ALICE);
    expect((await t.audit()).find((e) => e.action === 'reject')).toMatchObject({ actor: ALICE, outcome: 'accepted' });
  });

  it('lets the deployer roll back their own release', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE] } });

    const rollback = await requestRollback(t.deps, SERVICE, who(ALICE, false), 'really');

    expect(rollback).toMatchObject({ result: 'accepted', code: 'rollback-requested' });
    expect(said(rollback)).toContain('Rollback requested');
    expect((await t.store.getRun(SERVICE, 1))?.rollback?.by).toBe(ALICE);
  });

  it('lets the deployer pause their own release but not resume it', async () => {
    const t = await setUp({ run: { deployedBy: ALICE } });

    const paused = await setPause(t.deps, SERVICE, who(ALICE, false), true, 'hold on');
    const resumed = await setPause(t.deps, SERVICE, who(ALICE, false), false);

    expect(ok(paused)).toBe(true);
    expect(ok(resumed)).toBe(false);
    expect(said(resumed)).toContain('resuming moves traffic again');
    expect((await t.store.getService(SERVICE))?.paused?.by).toBe(ALICE);
  });
});

describe('Use case: racing decisions tell the truth', () => {
  it('tells an approver whose approval lost to a rejection landing in between, and audits it refused', async () => {
    const t = await setUp();
    let rejection: DecisionOutcome | undefined;
    t.store.afterApproval = async () => {
      rejection = await reject(t.deps, SERVICE, who(BOB), 'error rate');
    };

    const approval = await approve(t.deps, SERVICE, who(ALICE));

    expect(ok(rejection)).toBe(true);
    expect(approval).toMatchObject({ result: 'refused', code: 'lost-to-rejection', by: BOB, reason: 'error rate' });
    expect(said(approval)).toBe(
      '<@U0APPROVER01> rejected this first (reason: error rate): your approval does not count, and the gate stays closed.',
    );
    const entry = (await t.audit()).find((a) => a.actor === ALICE);
    expect(entry).toMatchObject({
      action: 'approve',
      outcome: 'refused',
      detail: 'lost to the rejection by U0APPROVER01: error rate',
    });
    expect(t.announced().some((text) => text.includes('approved'))).toBe(false);
  });

  it('tells a rejection that lost to an approval that the gate is approved and how to stop the release', async () => {
    const t = await setUp();
    await approve(t.deps, SERVICE, who(ALICE));

    const rejection = await reject(t.deps, SERVICE, who(BOB), 'too late');

    expect(ok(rejection)).toBe(false);
    expect(said(rejection)).toContain('This was already approved by <@U0APPROVER00> before your rejection');
    expect(said(rejection)).toContain('`/canary rollback production/product-service` or the Roll back button');
    expect((await t.audit())[0]).toMatchObject({ actor: BOB, action: 'reject', outcome: 'refused' });
    expect((await t.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
  });

  it('tells an approval that came after a rejection who rejected it, and audits it refused', async () => {
    const t = await setUp();
    await reject(t.deps, SERVICE, who(BOB), 'p95');

    const approval = await approve(t.deps, SERVICE, who(ALICE));

    expect(ok(approval)).toBe(false);
    expect(said(approval)).toContain('<@U0APPROVER01> rejected this first (reason: p95)');
    expect((await t.audit())[0]).toMatchObject({
      actor: ALICE,
      outcome: 'refused',
      detail: 'lost to the rejection by U0APPROVER01: p95',
    });
  });

  it('tells every one of many concurrent approvers and rejecters what actually happened to the gate', async () => {
    for (let round = 0; round < 10; round++) {
      const t = await setUp();
      const people = APPROVERS.map((user, i) => ({ user, action: (i + round) % 2 === 0 ? 'approve' : 'reject' }));

      const results = await Promise.all(
        people.map(({ user, action }) =>
          action === 'approve' ? approve(t.deps, SERVICE, who(user)) : reject(t.deps, SERVICE, who(user), 'no'),
        ),
      );

      const gate = await t.gate();
      const won = gate?.status === 'approved' ? 'approve' : 'reject';
      const lost = won === 'approve' ? 'reject' : 'approve';
      const truth = won === 'approve' ? 'already approved by' : 'rejected this first';
      expect(gate?.status).not.toBe('pending');
      // Nobody whose side lost is told it won; each of them is told what the gate became.
      people.forEach((p, i) => {
        const result = results[i];
        if (p.action === lost && result) {
          expect(result.result).toBe('refused');
          expect(said(result)).toContain(truth);
        }
      });
      const audit = await t.audit();
      expect(audit.filter((a) => a.action === lost).map((a) => a.outcome)).toEqual(
        people.filter((p) => p.action === lost).map(() => 'refused'),
      );
      expect(audit.filter((a) => a.action === 'reject' && a.outcome === 'accepted')).toHaveLength(
        won === 'reject' ? 1 : 0,
      );
    }
  });
});

describe('Use case: bounded reasons and audit entries', () => {
  it('cuts a huge reject reason before it is stored, shown, audited or announced, and says so', async () => {
    const t = await setUp();
    const reason = 'x'.repeat(20_000);

    const result = await reject(t.deps, SERVICE, who(ALICE), reason);

    const stored = (await t.gate())?.rejection?.reason ?? '';
    expect(ok(result)).toBe(true);
    expect(stored.length).toBeLessThan(TEXT_LIMITS.reason + 60);
    expect(stored).toContain('(19500 more characters cut)');
    expect((await t.store.getRun(SERVICE, 1))?.rollback?.reason.length).toBeLessThan(TEXT_LIMITS.reason + 80);
    expect((await t.audit())[0]?.detail.length).toBeLessThan(TEXT_LIMITS.auditDetail + 60);
    expect(t.announced()[0]?.length).toBeLessThan(TEXT_LIMITS.reason + 300);
  });

  it('cuts huge pause and rollback reasons, and evidence copied into the audit trail', async () => {
    const t = await setUp({ gate: { evidence: 'e'.repeat(50_000) } });

    await setPause(t.deps, SERVICE, who(ALICE, false), true, 'p'.repeat(10_000));
    await requestRollback(t.deps, SERVICE, who(BOB, false), 'r'.repeat(10_000));
    await approve(t.deps, SERVICE, who(CAROL));

    expect((await t.store.getService(SERVICE))?.paused?.reason.length).toBeLessThan(TEXT_LIMITS.reason + 60);
    expect((await t.store.getRun(SERVICE, 1))?.rollback?.reason.length).toBeLessThan(TEXT_LIMITS.reason + 60);
    const audit = await t.audit();
    expect(audit.every((a) => a.detail.length < TEXT_LIMITS.auditDetail + 60)).toBe(true);
    expect(audit.find((a) => a.action === 'approve')?.evidence?.length).toBeLessThan(TEXT_LIMITS.evidence + 60);
  });
});

describe('Use case: a slow or failing Slack directory', () => {
  it('decides a user listed by ID without asking the directory at all', async () => {
    const directory = fakeDirectory(never);
    const t = await setUp({ directory });

    const result = await approve(t.deps, SERVICE, who(ALICE));

    expect(ok(result)).toBe(true);
    expect(directory.asked).toEqual([]);
  });

  it('answers a group member within the budget when the directory hangs, and says why they were refused', async () => {
    const t = await setUp({ directory: fakeDirectory(never) });
    const started = Date.now();

    const result = await approve(t.deps, SERVICE, who('U0ONCALL01'));

    expect(Date.now() - started).toBeLessThan(2900); // inside Slack's 3 s, with room for a loaded machine
    expect(ok(result)).toBe(false);
    expect(said(result)).toContain('(group membership unknown: Slack did not answer in time)');
  });

  it('refuses a group member with a sentence when the directory throws, and still lets listed users decide', async () => {
    const directory = fakeDirectory(async () => {
      throw new Error('ratelimited');
    });
    const t = await setUp({ directory });

    const member = await approve(t.deps, SERVICE, who('U0ONCALL01'));
    const listed = await approve(t.deps, SERVICE, who(ALICE));

    expect(said(member)).toContain('(group membership unknown: the Slack lookup failed)');
    expect(ok(listed)).toBe(true);
  });

  it("says when a group member's approval rests on membership the directory could not refresh", async () => {
    const caveat = 'group membership as of 12:03: Slack did not answer in time';
    const t = await setUp({ directory: fakeDirectory(async () => ({ groups: ['S0SRE00001'], caveat })) });

    const result = await approve(t.deps, SERVICE, who('U0ONCALL01'));

    expect(result).toMatchObject({ result: 'accepted', code: 'gate-approved', caveat });
    expect(said(result)).toContain(`(${caveat})`);
    expect((await t.gate())?.status).toBe('approved');
  });
});

describe('Use case: text from people reaches Slack escaped', () => {
  /** Mentions the bot makes itself, from IDs it checked; anything else with `<` would be injected. */
  const withoutOwnMentions = (text: string) =>
    text.replace(/<@[UW][A-Z0-9]{2,20}>/g, '').replace(/<!subteam\^S[A-Z0-9]{2,20}>/g, '');

  it('never lets a reason or a typed gate name add a mention or a link to an answer or announcement (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constantFrom('<!channel>', '<@U0ROOT>', '<!subteam^S0ALL>', '<http://x|ok>', '<#C0X>'),
        ),
        fc.string(),
        async (reason, gateName) => {
          const t = await setUp({ gate: { quorum: 2 } });
          const answers = [
            await approve(t.deps, SERVICE, who(ALICE, false), gateName),
            await setPause(t.deps, SERVICE, who(ALICE, false), true, reason),
            await reject(t.deps, SERVICE, who(BOB), reason),
            await approve(t.deps, SERVICE, who(CAROL)),
            await reject(t.deps, SERVICE, who(CAROL), reason),
            await requestRollback(t.deps, SERVICE, who('U0STRANGER', false), reason),
          ];
          const texts = [...answers.map(said), ...t.announced()];
          return texts.every((text) => !withoutOwnMentions(text).includes('<'));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Use case: decisions return outcomes and publish events', () => {
  it('approve: counts an approval below the quorum, and publishes approval-counted', async () => {
    const t = await setUp({ gate: { quorum: 2 } });

    const result = await approve(t.deps, SERVICE, who(ALICE));

    expect(result).toEqual({ result: 'accepted', code: 'approval-counted', count: 1, quorum: 2 });
    expect(t.events()).toEqual([
      expect.objectContaining({
        type: 'approval-counted',
        service: SERVICE,
        run: 1,
        key: 'confirm-promotion',
        user: ALICE,
        count: 1,
        quorum: 2,
      }),
    ]);
  });

  it('approve: opens the gate at the quorum, and publishes gate-approved with the approvers', async () => {
    const t = await setUp();

    const result = await approve(t.deps, SERVICE, who(ALICE));

    expect(result).toMatchObject({
      result: 'accepted',
      code: 'gate-approved',
      request: { key: 'confirm-promotion', attempt: 1 },
    });
    expect(t.events()).toEqual([expect.objectContaining({ type: 'gate-approved', approvers: [ALICE] })]);
  });

  it('approve twice: a duplicate with the tally, and no second event', async () => {
    const t = await setUp({ gate: { quorum: 2 } });

    await approve(t.deps, SERVICE, who(ALICE));
    const again = await approve(t.deps, SERVICE, who(ALICE));

    expect(again).toEqual({ result: 'duplicate', code: 'already-counted', count: 1, quorum: 2 });
    expect(t.events()).toHaveLength(1);
  });

  it('reject: publishes gate-rejected with the rollback it led to, and answers with the same facts', async () => {
    const t = await setUp({ run: { hooks: [] } });

    const result = await reject(t.deps, SERVICE, who(BOB), 'p95 doubled');

    expect(result).toEqual({ result: 'accepted', code: 'rejected', rollback: true, rollbackHookSeen: false });
    expect(t.events()).toEqual([
      expect.objectContaining({
        type: 'gate-rejected',
        by: BOB,
        reason: 'p95 doubled',
        rollback: true,
        rollbackHookSeen: false,
      }),
      expect.objectContaining({ type: 'runbook-started', execution: 'rollback' }),
    ]);
    expect(said(result)).toContain('Warning: Flagger has not called the rollback webhook for this release');
  });

  it('refuses someone not listed with the approvers as data, and publishes nothing', async () => {
    const t = await setUp();

    const result = await approve(t.deps, SERVICE, who('U0STRANGER'));

    expect(result).toMatchObject({
      result: 'refused',
      code: 'not-approver',
      action: 'approve',
      approvers: { users: APPROVERS, groups: ['S0SRE00001'] },
    });
    expect(t.events()).toEqual([]);
  });

  it('refuses a click on a request of an older run as stale', async () => {
    const t = await setUp();

    const result = await approve(t.deps, SERVICE, { user: ALICE, via: 'C0RELEASES1', request: { ...REQUEST, run: 7 } });

    expect(result).toEqual({
      result: 'refused',
      code: 'stale-request',
      askedRun: 7,
      run: { service: SERVICE, number: 1 },
    });
  });

  it('rollback: publishes rollback-requested by a person; a second request is a duplicate naming the first', async () => {
    const t = await setUp();

    const first = await requestRollback(t.deps, SERVICE, who(ALICE, false), 'bad');
    const second = await requestRollback(t.deps, SERVICE, who(BOB, false), 'bad too');

    expect(first).toMatchObject({ result: 'accepted', code: 'rollback-requested' });
    expect(second).toMatchObject({ result: 'duplicate', code: 'rollback-already-requested', by: ALICE });
    // The rollback runbook starts once, with the first request: the second starts nothing.
    expect(t.events()).toEqual([
      expect.objectContaining({ type: 'rollback-requested', by: ALICE, cause: 'person', execution: 'rollback' }),
      expect.objectContaining({ type: 'runbook-started', execution: 'rollback' }),
    ]);
  });

  it('refuses a rollback while Waiting: nothing has moved to the canary', async () => {
    const t = await setUp({ run: { phase: 'Waiting', state: 'awaiting-start' } });

    const result = await requestRollback(t.deps, SERVICE, who(ALICE, false), 'bad');

    expect(result).toMatchObject({ result: 'refused', code: 'not-rollable', phase: 'Waiting' });
  });

  it('pause then resume: publishes paused and resumed with the run; pausing again is a duplicate', async () => {
    const t = await setUp();

    await setPause(t.deps, SERVICE, who(ALICE, false), true, 'hold');
    const again = await setPause(t.deps, SERVICE, who(ALICE, false), true);
    await setPause(t.deps, SERVICE, who(BOB, false), false);

    expect(again).toEqual({ result: 'duplicate', code: 'already-paused', service: SERVICE });
    expect(t.events().map((e) => [e.type, e.run])).toEqual([
      ['paused', 1],
      ['resumed', 1],
    ]);
  });
});
