import { MemoryStore } from '../../shared/adapters/memory-store';
import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ReleaseEvent } from '../../shared/domain/events';
import type { HookCall, HookType, Phase } from '../../shared/domain/flagger';
import type { HookOutcome } from '../../shared/domain/outcomes';
import type { ServicePolicy } from '../../shared/domain/policy';
import { flaggerAnswer } from '../../shared/http/flagger-answer';
import type { Job } from '../../shared/ports/queue';
import { handleHook } from '../../shared/usecases/flagger-hook';
import { aPolicy, aSnapshot } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const C1 = 'sha256:c1c1c1c1c1c1c1c1';
const T0 = Date.parse('2025-03-04T10:00:00.000Z');

/** handleHook against an in-memory store and a queue that records the events published. */
function bot(overrides: Partial<ServicePolicy> = {}) {
  const config: BotConfig = {
    file: 'release-bot.yaml',
    services: new Map([[SERVICE, aPolicy(overrides)]]),
    clusters: {},
    ...sectionDefaults(),
  };
  const store = new MemoryStore();
  const jobs: Job[] = [];
  const deps = { config, store, queue: { send: async (job: Job) => void jobs.push(job) }, now: () => new Date(T0) };
  const call = (hook: HookType, phase: Phase = 'Progressing', service = SERVICE) => {
    const hookCall: HookCall = { hook, service, phase, checksum: C1, metadata: {}, receivedAt: new Date(T0) };
    return handleHook(deps, hookCall);
  };
  const events = (): ReleaseEvent[] => jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : []));
  return { store, jobs, call, events };
}

describe('Use case: handleHook returns an outcome and publishes events', () => {
  it('starts a run at confirm-rollout: automatic, and run-started published on the service group', async () => {
    const b = bot();

    const outcome = await b.call('confirm-rollout', 'Progressing');

    expect(outcome).toEqual({ code: 'automatic', open: true, service: SERVICE, gate: 'confirm-rollout' });
    expect(b.events()).toEqual([{ type: 'run-started', service: SERVICE, run: 1 }]);
    expect(b.jobs.every((j) => j.kind === 'event' && j.service === SERVICE)).toBe(true);
  });

  it('opens a manual gate: waiting for approval with the counts and approvers, and gate-opened published', async () => {
    const b = bot();

    const outcome = await b.call('confirm-promotion');

    expect(outcome).toMatchObject({
      code: 'waiting-for-approval',
      open: false,
      run: { service: SERVICE, number: 1 },
      request: { key: 'confirm-promotion', gate: 'confirm-promotion', attempt: 1 },
      count: 0,
      quorum: 1,
      approvers: { users: ['U0ALICE', 'U0BOB'], groups: ['S0SRE'] },
      notCounted: [],
    });
    expect(b.events().map((e) => e.type)).toEqual(['run-started', 'gate-opened']);
  });

  it('answers a service that is not configured: closed for a gate, open (ignored) for anything else', async () => {
    const b = bot();

    const gate = await b.call('confirm-promotion', 'Progressing', 'other/service');
    const event = await b.call('event', 'Progressing', 'other/service');

    expect(gate).toMatchObject({ code: 'not-configured', open: false, configFile: 'release-bot.yaml' });
    expect(event).toMatchObject({ code: 'not-configured', open: true, hook: 'event' });
    expect(b.jobs).toEqual([]);
  });

  it('answers the rollback hook: no rollback requested, then rolling back with who asked and why', async () => {
    const b = bot();
    await b.call('confirm-rollout');

    const before = await b.call('rollback');
    const run = await b.store.getRun(SERVICE, 1);
    if (run)
      await b.store.saveRun({ ...run, rollback: { by: 'U0BOB', at: new Date(T0).toISOString(), reason: 'bad' } });
    const after = await b.call('rollback');

    expect(before).toEqual({ code: 'no-rollback', open: false, run: { service: SERVICE, number: 1 } });
    expect(after).toEqual({
      code: 'rollback',
      open: true,
      run: { service: SERVICE, number: 1 },
      by: 'U0BOB',
      reason: 'bad',
    });
  });

  it('holds a paused service with who paused it and why', async () => {
    const b = bot();
    await b.call('confirm-rollout');
    await b.store.setPaused(SERVICE, { by: 'U0ALICE', at: new Date(T0).toISOString(), reason: 'lunch' });

    const outcome = await b.call('confirm-promotion');

    expect(outcome).toEqual({ code: 'paused', open: false, service: SERVICE, by: 'U0ALICE', reason: 'lunch' });
  });

  it('keeps an SLO gate closed without Prometheus, saying so', async () => {
    const b = bot({ gates: { ...aPolicy().gates, 'confirm-promotion': { mode: 'slo' } } });

    const outcome = await b.call('confirm-promotion');

    expect(outcome).toEqual({ code: 'slo-unavailable', open: false, service: SERVICE, gate: 'confirm-promotion' });
  });
});

describe('Function: flaggerAnswer', () => {
  const run = { service: SERVICE, number: 3 };
  const request = {
    service: SERVICE,
    run: 3,
    key: 'confirm-traffic-increase@30',
    gate: 'confirm-traffic-increase',
    targetWeight: 30,
    attempt: 1,
  } as const;

  it.each<[HookOutcome, 200 | 403, string]>([
    [
      {
        code: 'waiting-for-approval',
        open: false,
        run,
        request,
        count: 0,
        quorum: 2,
        approvers: { users: ['U0A'], groups: ['S0SRE'] },
        notCounted: ['U0D'],
      },
      403,
      'waiting for approval to shift 30% of traffic to the canary for production/product-service release #3: 0/2 approvals from U0A, group S0SRE (not counted: U0D, who deployed this release and may not approve it)',
    ],
    [
      { code: 'approved', open: true, run, request, approvers: ['U0A', 'U0B'] },
      200,
      'approved by U0A, U0B: shift 30% of traffic to the canary for production/product-service release #3',
    ],
    [{ code: 'rejected', open: false, run, request, by: 'U0B', reason: 'p95' }, 403, 'rejected by U0B: p95'],
    [
      { code: 'rollback', open: true, run, by: 'U0B', reason: 'bad' },
      200,
      'rolling back production/product-service release #3: requested by U0B (bad)',
    ],
    [
      { code: 'recorded', open: true, hook: 'event', run },
      200,
      'event recorded for production/product-service release #3',
    ],
    [
      { code: 'no-release', open: false, service: SERVICE },
      403,
      'no release of production/product-service is in progress',
    ],
    [
      { code: 'at-max-weight', open: true, run },
      200,
      'production/product-service release #3 is at its maximum weight; promotion is the next gate',
    ],
    [
      { code: 'not-configured', open: true, service: 'a/b', hook: 'event', configFile: 'x.yaml' },
      200,
      'a/b is not configured in release-bot (x.yaml); add it under services; event ignored',
    ],
    [
      { code: 'paused', open: false, service: SERVICE, by: 'U0A', reason: 'lunch' },
      403,
      'production/product-service is paused by U0A (lunch); /canary resume production/product-service to continue',
    ],
    [
      { code: 'slo-passed', open: true, run, gate: 'confirm-promotion' },
      200,
      'confirm-promotion of production/product-service release #3: all SLOs pass',
    ],
  ])('renders %j as %i and the sentence Flagger shows', (outcome, status, message) => {
    expect(flaggerAnswer(outcome)).toEqual({ status, message });
  });

  it('names what fails in a waiting SLO gate, in plain text', () => {
    const answer = flaggerAnswer({
      code: 'slo-waiting',
      open: false,
      run,
      gate: 'confirm-promotion',
      snapshot: aSnapshot(),
    });

    expect(answer).toEqual({
      status: 403,
      message:
        'confirm-promotion of production/product-service release #3 waits for passing SLOs: Success rate fails its SLO; no data for p95 latency',
    });
  });
});
