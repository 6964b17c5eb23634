import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { HookCall, HookType } from '../../shared/domain/flagger';
import type { Job, Queue } from '../../shared/ports/queue';
import { updateRun } from '../../shared/usecases/current-run';
import { handleHook, REPOST_AFTER_MS } from '../../shared/usecases/flagger-hook';
import { aPolicy } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const T0 = Date.parse('2025-03-04T10:00:00.000Z');
const MINUTE = 60_000;
const TO = { users: ['U0ONCALL01'], groups: ['S0SRE00001'] };

/** handleHook on an in-memory store with a clock the test moves; escalation after 30 min, expiry after 2 h. */
function bot() {
  const policy = aPolicy({ service: SERVICE, quorum: 2, escalateAfter: 30 * MINUTE, escalateTo: TO });
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, policy]]),
    clusters: {},
    ...sectionDefaults(),
  };
  const store = new MemoryStore();
  const jobs: Job[] = [];
  const queue: Queue = {
    send: async (job) => {
      jobs.push(job);
    },
  };
  let now = T0;
  const deps = { config, store, queue, now: () => new Date(now) };
  const call = (hook: HookType = 'confirm-promotion') => {
    const hookCall: HookCall = {
      hook,
      service: SERVICE,
      phase: 'Progressing',
      checksum: 'c1',
      metadata: {},
      receivedAt: new Date(now),
    };
    return handleHook(deps, hookCall);
  };
  const events = (): ReleaseEvent[] => jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : []));
  const escalations = () => events().filter((e) => e.type === 'gate-escalated');
  const gate = () => store.getGate(SERVICE, 1, 'confirm-promotion');
  const approve = async (user: string) => {
    const g = await gate();
    if (g) await store.addApproval(g, user, new Date(now).toISOString());
  };
  /** What the worker does once the mention is in the thread. */
  const posted = () => store.markEscalationPosted({ service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 });
  const at = (minutes: number) => {
    now = T0 + minutes * MINUTE;
  };
  return { store, deps, call, escalations, gate, approve, posted, at };
}

describe('Use case: handleHook (escalation of a waiting request)', () => {
  it('mentions nobody before escalateAfter, however often Flagger calls', async () => {
    const b = bot();
    await b.call();

    for (const minute of [1, 10, 29]) {
      b.at(minute);
      await b.call();
    }

    expect(b.escalations()).toEqual([]);
    expect(await b.gate()).not.toHaveProperty('escalation');
  });

  it('escalates once at the first waiting call after escalateAfter, and records it in the audit trail', async () => {
    const b = bot();
    await b.call();
    await b.approve('U0ALICE');

    b.at(31);
    const answer = await b.call();
    await b.posted(); // the worker posted the mention
    b.at(32);
    await b.call();
    b.at(50);
    await b.call();

    expect(answer).toMatchObject({ code: 'waiting-for-approval', count: 1, quorum: 2 });
    expect(b.escalations()).toEqual([
      {
        type: 'gate-escalated',
        service: SERVICE,
        run: 1,
        key: 'confirm-promotion',
        gate: 'confirm-promotion',
        attempt: 1,
        to: TO,
        waitedMs: 31 * MINUTE,
        count: 1,
        quorum: 2,
        expiresAt: '2025-03-04T12:00:00.000Z',
      },
    ]);
    const audit = (await b.store.listAudit(SERVICE, 10)).filter((a) => a.action === 'escalated');
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'release-bot',
        outcome: 'accepted',
        run: 1,
        gate: 'confirm-promotion',
        attempt: 1,
        at: '2025-03-04T10:31:00.000Z',
        detail: expect.stringMatching(
          /^escalated to @S0SRE00001, @U0ONCALL01: request 1 unanswered for 31 min \(1\/2 approvals\)/,
        ),
      }),
    ]);
  });

  it('escalates exactly once when two waiting calls arrive together', async () => {
    const b = bot();
    await b.call();

    b.at(31);
    await Promise.all([b.call(), b.call(), b.call()]);

    expect(b.escalations()).toHaveLength(1);
    expect((await b.store.listAudit(SERVICE, 10)).filter((a) => a.action === 'escalated')).toHaveLength(1);
  });

  it('never escalates a gate approved before escalateAfter', async () => {
    const b = bot();
    await b.call();
    await b.approve('U0ALICE');
    await b.approve('U0BOB');

    b.at(31);
    const answer = await b.call();
    b.at(45);
    await b.call();

    expect(answer.code).toBe('approved');
    expect(b.escalations()).toEqual([]);
  });

  it('does not escalate while the release is rolling back or paused', async () => {
    const rolling = bot();
    await rolling.call();
    await updateRun(rolling.store, SERVICE, 1, (r) => ({ ...r, rollback: { by: 'U0BOB', at: 'x', reason: 'p95' } }));
    const paused = bot();
    await paused.call();
    await paused.store.setPaused(SERVICE, { by: 'U0BOB', at: 'x', reason: 'investigating' });

    rolling.at(31);
    paused.at(31);
    await Promise.all([rolling.call(), paused.call()]);

    expect([...rolling.escalations(), ...paused.escalations()]).toEqual([]);
  });

  it('escalates an expired request asked again once more, as the new request it is', async () => {
    const b = bot();
    await b.call();
    b.at(31);
    await b.call();

    b.at(121); // expired: this call re-arms it as attempt 2
    await b.call();
    b.at(150);
    await b.call();
    b.at(152);
    await b.call();

    expect(b.escalations().map((e) => ('attempt' in e ? e.attempt : 0))).toEqual([1, 2]);
  });

  it('asks again for a mention the worker never posted, until it is marked posted, and audits it once', async () => {
    const b = bot();
    await b.call();
    b.at(31);
    await b.call();
    const marked = await b.gate();

    b.at(31 + REPOST_AFTER_MS / MINUTE + 1);
    await b.call();
    await b.posted();
    b.at(40);
    await b.call();

    expect(b.escalations()).toHaveLength(2);
    expect(b.escalations()[1]).toEqual(b.escalations()[0]);
    expect(marked?.escalation).toEqual({ attempt: 1, at: '2025-03-04T10:31:00.000Z', to: TO });
    expect((await b.store.listAudit(SERVICE, 10)).filter((a) => a.action === 'escalated')).toHaveLength(1);
  });
});
