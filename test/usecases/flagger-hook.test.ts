import fc from 'fast-check';
import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { HookCall, HookType, Phase } from '../../shared/domain/flagger';
import type { ServicePolicy } from '../../shared/domain/policy';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import type { Chat, ChatMessage } from '../../shared/ports/chat';
import type { Job, Queue } from '../../shared/ports/queue';
import { replyFor } from '../../shared/slack/replies';
import { runJob } from '../../shared/slack/thread-presenter';
import { currentRun, updateRun } from '../../shared/usecases/current-run';
import { handleHook, REPOST_AFTER_MS } from '../../shared/usecases/flagger-hook';
import { aPolicy } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const C1 = 'sha256:c1c1c1c1c1c1c1c1';
const T0 = Date.parse('2025-03-04T10:00:00.000Z');
const GENUINE_ADVANCE = /^Advance product-service\.production canary weight \d+$/;

class RecordingQueue implements Queue {
  readonly jobs: Job[] = [];
  async send(job: Job): Promise<void> {
    this.jobs.push(job);
  }
  events = (): ReleaseEvent[] => this.jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : []));
  /** The queued events that ask the presenter to post an approval request. */
  requests = () => this.jobs.filter((j) => j.kind === 'event' && askedFor(j) !== undefined);
  /** The thread replies the Slack presenter makes of the events. */
  replies = () => this.events().flatMap((e) => replyFor(e)?.text ?? []);
}

/** Which request (gate key and attempt) an event asks to be posted, if any. */
function askedFor(job: Job | undefined): { gate: string; attempt: number } | undefined {
  if (job?.kind !== 'event') return undefined;
  const e = job.event;
  if (e.type === 'gate-opened' || e.type === 'gate-request-lost') return { gate: e.key, attempt: e.attempt };
  if (e.type === 'gate-expired' || e.type === 'approval-withdrawn') return { gate: e.key, attempt: e.next };
  return undefined;
}

/** handleHook against an in-memory store, a recording queue and a clock the test moves. */
function bot(overrides: Partial<ServicePolicy> = {}) {
  const policy = aPolicy(overrides);
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, policy]]),
    clusters: {},
    ...sectionDefaults(),
  };
  const store = new MemoryStore();
  const queue = new RecordingQueue();
  let now = T0;
  const deps = { config, store, queue, now: () => new Date(now) };
  const call = async (hook: HookType, metadata: Record<string, string> = {}, phase: Phase = 'Progressing') => {
    const hookCall: HookCall = { hook, service: SERVICE, phase, checksum: C1, metadata, receivedAt: new Date(now) };
    const outcome = await handleHook(deps, hookCall);
    return { ...flaggerAnswer(outcome), outcome };
  };
  const event = (message: string, eventType: 'Normal' | 'Warning' = 'Normal') =>
    call('event', { eventMessage: message, eventType });
  /** An approver approves whatever is pending, as decisions.ts does (add, then settle at the quorum). */
  const approvePending = async (user = 'U0ALICE') => {
    const run = await currentRun(store, SERVICE);
    for (const gate of (await store.listGates(SERVICE, run?.number ?? 0)).filter((g) => g.status === 'pending')) {
      const added = await store.addApproval(gate, user, new Date(now).toISOString());
      if (added && Object.keys(added.gate.approvals).length >= gate.quorum)
        await store.decideGate(gate, { status: 'approved' }, new Date(now).toISOString());
    }
  };
  return {
    policy,
    store,
    queue,
    deps,
    call,
    event,
    approvePending,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

type Noise = { tick: number; message: string; type: 'Normal' | 'Warning' };

/**
 * Flagger v1.44's canary loop for stepWeight 10, maxWeight 50, with a human approving whatever waits: each tick it
 * calls confirm-traffic-increase (also at maxWeight, then confirm-promotion), moves on a 2xx and says so in an
 * "Advance ... canary weight N" event. Noise events arrive at the given ticks. Returns the gates that needed a human.
 */
async function gatesNeedingHuman(noise: Noise[]): Promise<string[]> {
  const b = bot();
  await b.call('rollout');
  let weight = 0;
  const waited: string[] = [];
  const answer = async (hook: HookType) => {
    const reply = await b.call(hook);
    const waiting = /^waiting for approval to (.+?) for /.exec(reply.message)?.[1];
    if (waiting) {
      if (!waited.includes(waiting)) waited.push(waiting);
      await b.approvePending();
    }
    return reply.status === 200;
  };
  for (let tick = 0; tick < 20; tick++) {
    for (const n of noise.filter((x) => x.tick === tick)) await b.event(n.message, n.type);
    if (!(await answer('confirm-traffic-increase'))) continue;
    if (weight < 50) {
      weight += 10;
      await b.event(`Advance product-service.production canary weight ${weight}`);
    } else if (await answer('confirm-promotion')) {
      break;
    }
  }
  return waited;
}

describe('Use case: handleHook (where the weight comes from)', () => {
  it('needs a human at the same gates whatever other event text arrives (property)', async () => {
    const weighty = fc
      .tuple(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('canary weight ', 'Advance product-service.production canary weight ', 'weight '),
        fc.integer({ min: 0, max: 120 }),
        fc.string({ maxLength: 12 }),
      )
      .map(([before, middle, n, after]) => `${before}${middle}${n}${after}`);
    const noise = fc.array(
      fc.record({
        tick: fc.integer({ min: 0, max: 19 }),
        message: fc.oneof(fc.string({ maxLength: 80 }), weighty),
        type: fc.constantFrom<'Normal' | 'Warning'>('Normal', 'Warning'),
      }),
      { maxLength: 8 },
    );
    const baseline = await gatesNeedingHuman([]);
    expect(baseline).toEqual([
      'shift 30% of traffic to the canary',
      'shift 40% of traffic to the canary',
      'shift 50% of traffic to the canary',
      'promote the canary to primary',
    ]);

    await fc.assert(
      fc.asyncProperty(noise, async (events) => {
        fc.pre(events.every((e) => !(e.type === 'Normal' && GENUINE_ADVANCE.test(e.message))));
        expect(await gatesNeedingHuman(events)).toEqual(baseline);
      }),
      { numRuns: 60 },
    );
  });

  it('does not take a weight quoted in a Warning as the maximum, so the manual step is still asked', async () => {
    // Arrange
    const b = bot();
    await b.call('rollout');
    await b.event('Advance product-service.production canary weight 20');

    // Act
    await b.event('Halt advancement external check load-test failed: {"canary weight 50":"ok"}', 'Warning');
    const reply = await b.call('confirm-traffic-increase');

    // Assert
    expect(reply.status).toBe(403);
    expect(reply.message).toContain('waiting for approval to shift 30% of traffic');
  });

  it('treats the maximum weight as reached only when Flagger said so, not when the bot answered the step', async () => {
    // Arrange: the bot said yes to the step to 50 (approved), but Flagger has not confirmed it moved there
    const b = bot({ analysis: { stepWeight: 10, maxWeight: 50 } });
    await b.call('rollout');
    await b.event('Advance product-service.production canary weight 40');
    const asked = await b.call('confirm-traffic-increase');
    const run = await currentRun(b.store, SERVICE);
    await b.store.saveRun({ ...(run as NonNullable<typeof run>), weight: 50, weightFrom: 'bot' });

    // Act: the step to 50 still needs its approval; once Flagger says it is at 50, the last call is automatic
    const unconfirmed = await b.call('confirm-traffic-increase');
    await b.event('Advance product-service.production canary weight 50');
    const confirmed = await b.call('confirm-traffic-increase');

    // Assert
    expect(asked.message).toContain('waiting for approval to shift 50% of traffic');
    expect(unconfirmed.status).toBe(403);
    expect(unconfirmed.message).toContain('waiting for approval to shift 50% of traffic');
    expect(confirmed).toMatchObject({ status: 200, message: expect.stringContaining('is at its maximum weight') });
  });
});

describe('Use case: handleHook (the deployer of the run)', () => {
  it('withdraws an approval whose author a later hook names as the deployer, and asks again', async () => {
    // Arrange: U0ALICE approves before any hook names a deployer
    const b = bot();
    await b.call('confirm-promotion');
    await b.approvePending('U0ALICE');

    // Act
    const answer = await b.call('confirm-promotion', { deployer: 'U0ALICE' });
    const gate = await b.store.getGate(SERVICE, 1, 'confirm-promotion');

    // Assert
    expect(answer.status).toBe(403);
    expect(answer.message).toContain('0/1 approvals');
    expect(answer.message).toContain('not counted: U0ALICE, who deployed this release and may not approve it');
    expect(gate).toMatchObject({ status: 'pending', attempt: 2, approvals: {} });
    expect(askedFor(b.queue.requests().at(-1))).toEqual({ gate: 'confirm-promotion', attempt: 2 });
    expect(b.queue.replies().some((text) => text.includes('<@U0ALICE> no longer counts'))).toBe(true);
    const audit = await b.store.listAudit(SERVICE, 5);
    expect(audit[0]).toMatchObject({ action: 'gate-reopened', attempt: 2, actor: 'flagger' });
  });

  it('opens the reopened gate once someone else approves', async () => {
    // Arrange
    const b = bot();
    await b.call('confirm-promotion');
    await b.approvePending('U0ALICE');
    await b.call('rollout', { deployer: 'U0ALICE' });
    await b.call('confirm-promotion');

    // Act
    await b.approvePending('U0BOB');
    const answer = await b.call('confirm-promotion');

    // Assert
    expect(answer).toMatchObject({ status: 200, message: expect.stringContaining('approved by U0BOB') });
  });

  it('does not settle a pending gate on the deployer approval, whatever the order the hooks came in', async () => {
    // Arrange: quorum 2; the deployer and one other approved, and the writer stopped before settling
    const b = bot({ quorum: 2 });
    await b.call('confirm-promotion', { deployer: 'U0ALICE' });
    const opened = await b.store.getGate(SERVICE, 1, 'confirm-promotion');
    if (!opened) throw new Error('no gate');
    await b.store.addApproval(opened, 'U0ALICE', new Date(T0).toISOString());
    await b.store.addApproval(opened, 'U0BOB', new Date(T0).toISOString());

    // Act
    const answer = await b.call('confirm-promotion');

    // Assert
    expect(answer.status).toBe(403);
    expect(answer.message).toContain('1/2 approvals');
    expect((await b.store.getGate(SERVICE, 1, 'confirm-promotion'))?.status).toBe('pending');
  });

  it('still counts the deployer approval where the service allows self-approval', async () => {
    // Arrange
    const strict = bot();
    const allowing = bot({ allowSelfApproval: true });
    for (const b of [strict, allowing]) {
      await b.call('confirm-promotion');
      await b.approvePending('U0ALICE');
    }

    // Act
    const refused = await strict.call('confirm-promotion', { deployer: 'U0ALICE' });
    const allowed = await allowing.call('confirm-promotion', { deployer: 'U0ALICE' });

    // Assert
    expect(refused.status).toBe(403);
    expect(allowed).toMatchObject({ status: 200, message: expect.stringContaining('approved by U0ALICE') });
  });
});

describe('Use case: handleHook (self-healing)', () => {
  it('queues the approval request again when it was never posted, not right after opening it, and not once posted', async () => {
    // Arrange
    const b = bot();
    await b.call('confirm-promotion');
    const opened = b.queue.requests().length;

    // Act
    b.tick(1_000);
    await b.call('confirm-promotion');
    const soon = b.queue.requests().length;
    b.tick(REPOST_AFTER_MS);
    await b.call('confirm-promotion');
    const later = b.queue.requests().length;
    await b.store.markRequestPosted({ service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 });
    b.tick(60_000);
    await b.call('confirm-promotion');
    const posted = b.queue.requests().length;

    // Assert
    expect(opened).toBe(1);
    expect(soon).toBe(1);
    expect(later).toBe(2);
    expect(posted).toBe(2);
    expect(askedFor(b.queue.requests().at(-1))).toEqual({ gate: 'confirm-promotion', attempt: 1 });
  });

  it('records the rollback of a rejection whose writer stopped before recording it (only where Flagger can roll back)', async () => {
    // Arrange: the gate was rejected, the second write (run.rollback) never happened
    const b = bot();
    await b.call('confirm-promotion');
    const rejection = { by: 'U0BOB', at: new Date(T0).toISOString(), reason: 'p95 doubled' };
    await b.store.decideGate(
      { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 },
      { status: 'rejected', rejection },
      rejection.at,
    );
    const before = await b.call('rollback');

    // Act
    const gate = await b.call('confirm-promotion');
    const after = await b.call('rollback');

    // Assert
    expect(before.status).toBe(403);
    expect(gate.status).toBe(403);
    expect((await currentRun(b.store, SERVICE))?.rollback).toEqual({
      ...rejection,
      reason: 'rejected: p95 doubled',
      cause: 'rejection',
    });
    expect(after).toMatchObject({ status: 200, message: expect.stringContaining('requested by U0BOB') });
    expect(await rejectedWhileWaiting()).toBeUndefined();
  });

  it('starts the rollback runbook at the rollback hook when its starter stopped after recording the rollback, once', async () => {
    // Arrange: run.rollback was recorded, the runbook never started (the writer stopped between the two)
    const b = bot();
    await b.call('confirm-promotion');
    const rollback = { by: 'U0BOB', at: new Date(T0).toISOString(), reason: 'p95 doubled', cause: 'person' as const };
    await updateRun(b.store, SERVICE, 1, (r) => ({ ...r, rollback }));
    const jobsBefore = b.queue.jobs.filter((j) => j.kind === 'runbook').length;

    // Act: Flagger's next two checks call the rollback hook
    const first = await b.call('rollback');
    const second = await b.call('rollback');

    // Assert: answered yes both times; one execution, started by the person who asked, one job
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await b.store.getExecution(SERVICE, 1, 'rollback')).toMatchObject({
      runbook: 'rollback',
      state: 'running',
      trigger: { cause: 'person', by: 'U0BOB', reason: 'p95 doubled' },
    });
    expect(await b.store.listExecutions(SERVICE, 1, 10)).toHaveLength(1);
    expect(b.queue.jobs.filter((j) => j.kind === 'runbook').length - jobsBefore).toBe(1);
  });
});

describe('Use case: handleHook (a quorum reached just before expiry)', () => {
  it('settles a gate whose approvals reached the quorum in time but were never settled, instead of asking again', async () => {
    // Arrange: the approval landed a second before expiry; its writer stopped before settling the gate
    const b = bot();
    await b.call('confirm-promotion');
    const gate = await b.store.getGate(SERVICE, 1, 'confirm-promotion');
    const lastSecond = new Date(Date.parse(gate?.expiresAt ?? '') - 1_000).toISOString();
    await b.store.addApproval(
      { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 },
      'U0ALICE',
      lastSecond,
    );
    b.tick(Date.parse(gate?.expiresAt ?? '') - T0 + 60_000);

    // Act
    const answer = await b.call('confirm-promotion');

    // Assert
    expect(answer.status).toBe(200);
    expect(await b.store.getGate(SERVICE, 1, 'confirm-promotion')).toMatchObject({
      status: 'approved',
      attempt: 1,
      decidedAt: lastSecond,
    });
  });

  it('asks again when the request expired without the quorum', async () => {
    const b = bot({ quorum: 2 });
    await b.call('confirm-promotion');
    const gate = await b.store.getGate(SERVICE, 1, 'confirm-promotion');
    await b.store.addApproval(
      { service: SERVICE, run: 1, key: 'confirm-promotion', attempt: 1 },
      'U0ALICE',
      gate?.openedAt ?? '',
    );
    b.tick(Date.parse(gate?.expiresAt ?? '') - T0 + 60_000);

    const answer = await b.call('confirm-promotion');

    expect(answer.status).toBe(403);
    expect(await b.store.getGate(SERVICE, 1, 'confirm-promotion')).toMatchObject({
      status: 'pending',
      attempt: 2,
      approvals: {},
    });
  });
});

/** A manual confirm-rollout rejected while the canary is Waiting (no traffic moved): the run's rollback after a call. */
async function rejectedWhileWaiting() {
  const b = bot({ gates: { ...aPolicy().gates, 'confirm-rollout': { mode: 'manual' } } });
  await b.call('confirm-rollout', {}, 'Waiting');
  const rejection = { by: 'U0BOB', at: new Date(T0).toISOString(), reason: 'not today' };
  const ref = { service: SERVICE, run: 1, key: 'confirm-rollout', attempt: 1 };
  await b.store.decideGate(ref, { status: 'rejected', rejection }, rejection.at);
  const gate = await b.call('confirm-rollout', {}, 'Waiting');
  expect(gate.message).toContain('rejected by U0BOB');
  return (await currentRun(b.store, SERVICE))?.rollback;
}

/** A Slack that records what was posted and fails while `down`. */
function fakeChat(): Chat & { posts: ChatMessage[]; down: boolean } {
  let ts = 0;
  const chat = {
    posts: [] as ChatMessage[],
    down: false,
    async post(channel: string, message: ChatMessage) {
      if (chat.down) throw new Error('slack is down');
      chat.posts.push(message);
      return { channel, ts: String(++ts) };
    },
    async update() {
      if (chat.down) throw new Error('slack is down');
    },
    async postEphemeral() {},
    async upload() {},
  };
  return chat;
}

describe('Use case: runJob (what the worker records)', () => {
  it('marks the request posted after posting it, and a Flagger call no longer asks for it again', async () => {
    // Arrange
    const b = bot();
    const chat = fakeChat();
    await b.call('confirm-promotion');
    const job = b.queue.requests()[0];
    if (!job) throw new Error('no request job');

    // Act
    await runJob({ ...b.deps, chat }, job);
    b.tick(60_000);
    await b.call('confirm-promotion');

    // Assert
    expect((await b.store.getGate(SERVICE, 1, 'confirm-promotion'))?.requestPosted).toBe(1);
    expect(b.queue.requests()).toHaveLength(1);
  });

  it('leaves a request Slack did not take unmarked, so the next Flagger call asks for it again', async () => {
    // Arrange
    const b = bot();
    const chat = fakeChat();
    chat.down = true;
    await b.call('confirm-promotion');
    const job = b.queue.requests()[0];
    if (!job) throw new Error('no request job');

    // Act
    await expect(runJob({ ...b.deps, chat }, job)).rejects.toThrow('slack is down');
    b.tick(REPOST_AFTER_MS);
    await b.call('confirm-promotion');
    chat.down = false;
    const again = b.queue.requests().at(-1);
    if (again) await runJob({ ...b.deps, chat }, again);

    // Assert
    expect(b.queue.requests()).toHaveLength(2);
    expect(chat.posts.filter((p) => p.text.includes('Waiting for approval'))).toHaveLength(1);
    expect((await b.store.getGate(SERVICE, 1, 'confirm-promotion'))?.requestPosted).toBe(1);
  });

  it('keeps the posted keys of a thread bounded, the newest kept', async () => {
    // Arrange
    const b = bot();
    const chat = fakeChat();
    await b.call('rollout');

    // Act
    for (let i = 0; i < 300; i++) {
      const event: ReleaseEvent = { type: 'paused', service: SERVICE, run: 1, by: 'U0ALICE', at: `${i}`, reason: 'x' };
      await runJob({ ...b.deps, chat }, { kind: 'event', service: SERVICE, event });
    }
    const thread = await b.store.getThread(SERVICE, 1);

    // Assert
    expect(thread?.posted.length).toBeLessThanOrEqual(100);
    expect(thread?.posted.at(-1)).toBe('pause:299');
  });

  it('keeps the request timestamps of a thread bounded across many expired attempts', async () => {
    // Arrange
    const b = bot({ approvalExpiry: 1_000 });
    const chat = fakeChat();
    await b.call('confirm-promotion');

    // Act
    for (let i = 0; i < 80; i++) {
      b.tick(1_000);
      await b.call('confirm-promotion');
      for (const job of b.queue.jobs.splice(0)) await runJob({ ...b.deps, chat }, job);
    }
    const thread = await b.store.getThread(SERVICE, 1);
    const gate = await b.store.getGate(SERVICE, 1, 'confirm-promotion');

    // Assert
    expect(Object.keys(thread?.requests ?? {}).length).toBeLessThanOrEqual(50);
    expect(thread?.requests[`confirm-promotion#${gate?.attempt}`]).toBeDefined();
  });
});
