import { type Dynalite, dynamoClient, startDynalite } from '../../shared/adapters/dynalite';
import { createTable, DynamoStore } from '../../shared/adapters/dynamo-store';
import { noGroups } from '../../shared/adapters/no-groups';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { HookCall, HookType } from '../../shared/domain/flagger';
import type { ServicePolicy } from '../../shared/domain/policy';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import type { Job, Queue } from '../../shared/ports/queue';
import { approve } from '../../shared/usecases/decisions';
import { handleHook } from '../../shared/usecases/flagger-hook';
import { aPolicy } from '../../testkit/builders';
import { countedClient } from '../../testkit/counted-dynamo';

/*
 * What a Flagger call costs in DynamoDB round trips, counted on the wire (every command the SDK client sends),
 * against dynalite: a call that changes nothing (each tick of a waiting gate) is one BatchGetItem.
 */
const SERVICE = 'production/product-service';
const T0 = Date.parse('2025-03-04T10:00:00.000Z');

/** Jobs are kept, never run: nothing marks a request or a mention posted. */
const queued: Job[] = [];
const queue: Queue = {
  send: async (job: Job) => {
    queued.push(job);
  },
};
const escalationsQueued = () => queued.filter((j) => j.kind === 'event' && j.event.type === 'gate-escalated').length;

/** Escalates after a minute, to a user group. */
const ESCALATING = { escalateAfter: 60_000, escalateTo: { users: [], groups: ['S0SRE00001'] } };

describe('Flagger calls: DynamoDB round trips per call (dynalite)', () => {
  let dynalite: Dynalite;
  let tables = 0;

  beforeAll(async () => {
    dynalite = await startDynalite({});
  });
  afterAll(() => dynalite.close());

  /** A fresh table and two bot processes (Lambda containers) on it, each with its own store adapter. */
  async function world(overrides: Partial<ServicePolicy> = {}) {
    const tableName = `hook-reads-${++tables}`;
    /** How far the bots' clock has moved since T0. */
    const clock = { ms: 0 };
    await createTable(dynamoClient(dynalite.endpoint), tableName);
    const config: BotConfig = {
      file: 'release-bot.yaml',
      services: new Map([[SERVICE, aPolicy(overrides)]]),
      clusters: {},
      ...sectionDefaults(),
    };
    const process = () => {
      const { client, sent } = countedClient(dynalite.endpoint);
      const deps = { config, store: new DynamoStore({ client, tableName }), queue, now: () => new Date(T0 + clock.ms) };
      /** One Flagger call; what it sent to DynamoDB, and Flagger's answer. */
      const call = async (hook: HookType, checksum = 'rev-1') => {
        sent.length = 0;
        const hookCall: HookCall = {
          hook,
          service: SERVICE,
          phase: 'Progressing',
          checksum,
          metadata: {},
          receivedAt: new Date(T0),
        };
        const answer = flaggerAnswer(await handleHook(deps, hookCall));
        return { ...answer, sent: [...sent] };
      };
      return { call };
    };
    return { one: process(), two: process(), clock };
  }

  it('a waiting confirm-promotion costs one BatchGetItem per tick once the process has seen the run', async () => {
    const { one } = await world();
    await one.call('confirm-promotion');

    const tick = await one.call('confirm-promotion');

    expect(tick.status).toBe(403);
    expect(tick.message).toMatch(/^waiting for approval to promote/);
    expect(tick.sent).toEqual(['BatchGetItemCommand']);
  });

  it('a process that never saw the service reads its record first: two round trips, then one', async () => {
    const { one, two } = await world();
    await one.call('confirm-promotion');

    const first = await two.call('confirm-promotion');
    const next = await two.call('confirm-promotion');

    expect(first.sent).toEqual(['GetItemCommand', 'BatchGetItemCommand']);
    expect(next.sent).toEqual(['BatchGetItemCommand']);
  });

  it('a release started by another process since is found: the record read alongside says the hint is stale', async () => {
    const { one, two } = await world();
    await one.call('confirm-promotion', 'rev-1');
    await two.call('confirm-promotion', 'rev-2');

    const tick = await one.call('confirm-promotion', 'rev-2');

    expect(tick.message).toMatch(/release #2/);
    expect(tick.sent).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
  });

  it('a manual traffic step reads its gate with the run; a repeated rollout hook costs one too', async () => {
    const { one } = await world({
      gates: { ...aPolicy().gates, 'confirm-traffic-increase': { mode: 'manual', fromWeight: 0 } },
    });
    await one.call('confirm-traffic-increase');

    const waiting = await one.call('confirm-traffic-increase');
    await one.call('rollout');
    const rollout = await one.call('rollout');

    expect(waiting.message).toMatch(/^waiting for approval to/);
    expect(waiting.sent).toEqual(['BatchGetItemCommand']);
    expect(rollout.sent).toEqual(['BatchGetItemCommand']);
  });

  it('the call that escalates a request writes once, the mark (and the audit entry); every tick after it reads only', async () => {
    const { one, clock } = await world(ESCALATING);
    await one.call('confirm-promotion');

    clock.ms = 61_000;
    const escalating = await one.call('confirm-promotion');
    clock.ms = 62_000;
    const next = await one.call('confirm-promotion');
    const before = escalationsQueued();
    clock.ms = 70_000; // the mention was never marked posted: asked again, still without a write
    const asksAgain = await one.call('confirm-promotion');

    expect(escalating.status).toBe(403);
    expect(escalating.sent).toEqual(['BatchGetItemCommand', 'UpdateItemCommand', 'PutItemCommand']);
    expect(next.sent).toEqual(['BatchGetItemCommand']);
    expect(asksAgain.sent).toEqual(['BatchGetItemCommand']);
    expect(escalationsQueued()).toBe(before + 1);
  });

  it('two processes answering the same tick past escalateAfter escalate once, with one audit entry', async () => {
    const { one, two, clock } = await world(ESCALATING);
    await one.call('confirm-promotion');
    await two.call('confirm-promotion');
    const before = escalationsQueued();

    clock.ms = 61_000;
    const answers = await Promise.all([one.call('confirm-promotion'), two.call('confirm-promotion')]);

    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    expect(escalationsQueued()).toBe(before + 1);
    expect(answers.flatMap((a) => a.sent).filter((command) => command === 'PutItemCommand')).toHaveLength(1);
  });
});

describe('Slack decisions: DynamoDB round trips per click (dynalite)', () => {
  let dynalite: Dynalite;

  beforeAll(async () => {
    dynalite = await startDynalite({});
  });
  afterAll(() => dynalite.close());

  it('a click on a request reads the service, its run and the clicked gate in one BatchGetItem', async () => {
    const tableName = 'click-reads';
    await createTable(dynamoClient(dynalite.endpoint), tableName);
    const { client, sent } = countedClient(dynalite.endpoint);
    const config: BotConfig = {
      file: 'release-bot.yaml',
      services: new Map([[SERVICE, aPolicy()]]),
      clusters: {},
      ...sectionDefaults(),
    };
    const deps = { config, store: new DynamoStore({ client, tableName }), queue, now: () => new Date(T0) };
    await handleHook(deps, {
      hook: 'confirm-promotion',
      service: SERVICE,
      phase: 'Progressing',
      checksum: 'rev-1',
      metadata: {},
      receivedAt: new Date(T0),
    });
    const approver = aPolicy().approvers.users[0] ?? '';
    sent.length = 0;

    const outcome = await approve({ ...deps, directory: noGroups }, SERVICE, {
      user: approver,
      via: 'button',
      request: { run: 1, gate: 'confirm-promotion', attempt: 1 },
    });

    expect(outcome).toMatchObject({ result: 'accepted' });
    // One read before the first write (then the approval, the decision, the snapshot the audit entry quotes, and
    // the entry); before, the service, the run and the gate were three reads one after another.
    expect(sent).toEqual([
      'BatchGetItemCommand',
      'UpdateItemCommand',
      'UpdateItemCommand',
      'GetItemCommand',
      'PutItemCommand',
    ]);
  });
});
