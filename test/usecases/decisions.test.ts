import fc from 'fast-check';
import { MemoryStore } from '../../shared/adapters/memory-store';
import { parseConfig } from '../../shared/config/load';
import { TEXT_LIMITS } from '../../shared/domain/bounds';
import type { Gate } from '../../shared/domain/gate';
import type { Run } from '../../shared/domain/release';
import type { Directory, Membership } from '../../shared/ports/chat';
import type { Job } from '../../shared/ports/queue';
import { approve, type DecisionResult, reject, requestRollback, setPause } from '../../shared/usecases/decisions';
import type { Deps } from '../../shared/usecases/deps';
import { aGate, aRun } from '../fixtures/builders';

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
  const announced = () => jobs.flatMap((job) => (job.kind === 'announce' ? [job.text] : []));
  const setNow = (at: Date) => {
    now = at;
  };
  return { deps, store, jobs, gate, audit, announced, setNow };
}

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

      expect(result).toEqual({ ok: false, message: expired });
      expect(await t.gate()).toMatchObject({ status: 'pending', approvals: {} });
      expect((await t.audit())[0]).toMatchObject({ actor: ALICE, action: 'approve', outcome: 'refused' });
      expect(t.announced()).toEqual([]);
    },
  );

  it('refuses a rejection after expiry: the gate stays pending and no rollback is requested', async () => {
    const t = await setUp({ now: new Date('2025-03-04T11:00:00.001Z') });

    const result = await reject(t.deps, SERVICE, who(BOB), 'too slow');

    expect(result).toEqual({ ok: false, message: expired });
    expect((await t.gate())?.status).toBe('pending');
    expect((await t.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
    expect((await t.audit())[0]).toMatchObject({ actor: BOB, action: 'reject', outcome: 'refused' });
  });

  it('refuses an approval at the expiry, and opens the gate for one a millisecond before it', async () => {
    const t = await setUp({ now: new Date(EXPIRES) });

    const atExpiry = await approve(t.deps, SERVICE, who(ALICE));
    t.setNow(new Date('2025-03-04T10:59:59.999Z'));
    const before = await approve(t.deps, SERVICE, who(BOB));

    expect([atExpiry.ok, before.ok]).toEqual([false, true]);
    expect(await t.gate()).toMatchObject({ status: 'approved', approvals: { [BOB]: '2025-03-04T10:59:59.999Z' } });
  });
});

describe('Use case: self-approval belongs to the release run', () => {
  it('refuses an approval by anyone any hook of the run named as deployer', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE, BOB] } });

    const result = await approve(t.deps, SERVICE, who(BOB));

    expect(result.ok).toBe(false);
    expect(result.message).toContain(
      "you deployed this release of production/product-service, and it needs someone else's approval",
    );
    expect((await t.gate())?.status).toBe('pending');
  });

  it('lets the deployer reject their own release', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE] } });

    const rejected = await reject(t.deps, SERVICE, who(ALICE), 'I broke it');

    expect(rejected.ok).toBe(true);
    expect((await t.gate())?.rejection?.by).toBe(ALICE);
    expect((await t.audit())[0]).toMatchObject({ actor: ALICE, action: 'reject', outcome: 'accepted' });
  });

  it('lets the deployer roll back their own release', async () => {
    const t = await setUp({ run: { deployedBy: ALICE, deployers: [ALICE] } });

    const rollback = await requestRollback(t.deps, SERVICE, who(ALICE, false), 'really');

    expect(rollback).toEqual({ ok: true, message: expect.stringContaining('Rollback requested') });
    expect((await t.store.getRun(SERVICE, 1))?.rollback?.by).toBe(ALICE);
  });

  it('lets the deployer pause their own release but not resume it', async () => {
    const t = await setUp({ run: { deployedBy: ALICE } });

    const paused = await setPause(t.deps, SERVICE, who(ALICE, false), true, 'hold on');
    const resumed = await setPause(t.deps, SERVICE, who(ALICE, false), false);

    expect(paused.ok).toBe(true);
    expect(resumed.ok).toBe(false);
    expect(resumed.message).toContain('resuming moves traffic again');
    expect((await t.store.getService(SERVICE))?.paused?.by).toBe(ALICE);
  });
});

describe('Use case: racing decisions tell the truth', () => {
  it('tells an approver whose approval lost to a rejection landing in between, and audits it refused', async () => {
    const t = await setUp();
    let rejection: DecisionResult | undefined;
    t.store.afterApproval = async () => {
      rejection = await reject(t.deps, SERVICE, who(BOB), 'error rate');
    };

    const approval = await approve(t.deps, SERVICE, who(ALICE));

    expect(rejection?.ok).toBe(true);
    expect(approval).toEqual({
      ok: false,
      message:
        '<@U0APPROVER01> rejected this first (reason: error rate): your approval does not count, and the gate stays closed.',
    });
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

    expect(rejection.ok).toBe(false);
    expect(rejection.message).toContain('This was already approved by <@U0APPROVER00> before your rejection');
    expect(rejection.message).toContain('`/canary rollback production/product-service` or the Roll back button');
    expect((await t.audit())[0]).toMatchObject({ actor: BOB, action: 'reject', outcome: 'refused' });
    expect((await t.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
  });

  it('tells an approval that came after a rejection who rejected it, and audits it refused', async () => {
    const t = await setUp();
    await reject(t.deps, SERVICE, who(BOB), 'p95');

    const approval = await approve(t.deps, SERVICE, who(ALICE));

    expect(approval.ok).toBe(false);
    expect(approval.message).toContain('<@U0APPROVER01> rejected this first (reason: p95)');
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
        if (p.action === lost) expect(results[i]).toEqual({ ok: false, message: expect.stringContaining(truth) });
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
    expect(result.ok).toBe(true);
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

    expect(result.ok).toBe(true);
    expect(directory.asked).toEqual([]);
  });

  it('answers a group member within the budget when the directory hangs, and says why they were refused', async () => {
    const t = await setUp({ directory: fakeDirectory(never) });
    const started = Date.now();

    const result = await approve(t.deps, SERVICE, who('U0ONCALL01'));

    expect(Date.now() - started).toBeLessThan(2900); // inside Slack's 3 s, with room for a loaded machine
    expect(result.ok).toBe(false);
    expect(result.message).toContain('(group membership unknown: Slack did not answer in time)');
  });

  it('refuses a group member with a sentence when the directory throws, and still lets listed users decide', async () => {
    const directory = fakeDirectory(async () => {
      throw new Error('ratelimited');
    });
    const t = await setUp({ directory });

    const member = await approve(t.deps, SERVICE, who('U0ONCALL01'));
    const listed = await approve(t.deps, SERVICE, who(ALICE));

    expect(member.message).toContain('(group membership unknown: the Slack lookup failed)');
    expect(listed.ok).toBe(true);
  });

  it("says when a group member's approval rests on membership the directory could not refresh", async () => {
    const caveat = 'group membership as of 12:03: Slack did not answer in time';
    const t = await setUp({ directory: fakeDirectory(async () => ({ groups: ['S0SRE00001'], caveat })) });

    const result = await approve(t.deps, SERVICE, who('U0ONCALL01'));

    expect(result).toEqual({ ok: true, message: expect.stringContaining(`(${caveat})`) });
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
          const texts = [...answers.map((a) => a.message), ...t.announced()];
          return texts.every((text) => !withoutOwnMentions(text).includes('<'));
        },
      ),
      { numRuns: 60 },
    );
  });
});
