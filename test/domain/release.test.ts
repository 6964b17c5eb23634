import fc from 'fast-check';
import { TEXT_LIMITS } from '../../shared/domain/bounds';
import type { HookCall, HookType, Phase } from '../../shared/domain/flagger';
import {
  addToTimeline,
  advancedWeight,
  applyHook,
  canRollBack,
  DEPLOYERS_LIMIT,
  deployersOf,
  newRun,
  type Placement,
  placeHook,
  type Run,
  runLabel,
  supersede,
} from '../../shared/domain/release';
import { aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const C0 = 'sha256:c0c0c0c0c0c0c0c0'; // the revision already promoted
const C1 = 'sha256:c1c1c1c1c1c1c1c1'; // the revision under analysis
const C2 = 'sha256:c2c2c2c2c2c2c2c2'; // a newer revision pushed mid-analysis
const T0 = Date.parse('2025-03-04T10:00:00.000Z');
const minute = (n: number): Date => new Date(T0 + n * 60_000);

interface Step {
  hook: HookType;
  phase: Phase;
  checksum: string;
  message?: string;
  eventType?: 'Normal' | 'Warning';
  deployer?: string;
}

function hookCall(step: Step, at: Date = minute(0)): HookCall {
  const metadata: Record<string, string> = {};
  if (step.message !== undefined) metadata.eventMessage = step.message;
  if (step.eventType !== undefined) metadata.eventType = step.eventType;
  if (step.deployer !== undefined) metadata.deployer = step.deployer;
  return { hook: step.hook, service: SERVICE, phase: step.phase, checksum: step.checksum, metadata, receivedAt: at };
}

interface Trace {
  placement: Placement;
  /** The newest run after the call. */
  run: Run | undefined;
  runs: Run[];
}

/** What the caller (usecases/current-run.ts) does with placeHook/newRun/applyHook/supersede, without a store. */
function replay(steps: Step[]): Trace[] {
  const runs: Run[] = [];
  return steps.map((step, i) => {
    const call = hookCall(step, minute(i));
    const current = runs.at(-1);
    const placement = placeHook(current, call);
    if (placement === 'new') {
      if (current && current.state !== 'ended') runs[runs.length - 1] = supersede(current, call.receivedAt);
      runs.push(applyHook(newRun(call, runs.length + 1), call));
    } else if (placement === 'current' && current) {
      runs[runs.length - 1] = applyHook(current, call);
    }
    return { placement, run: runs.at(-1), runs: [...runs] };
  });
}

const confirmRollout = (phase: Phase, checksum = C0): Step => ({ hook: 'confirm-rollout', phase, checksum });
const progressing = (hook: HookType, checksum = C1): Step => ({ hook, phase: 'Progressing', checksum });
/** An event as Flagger's event webhook sends it: every event carries its type (Normal or Warning). */
const event = (
  message: string,
  phase: Phase = 'Progressing',
  checksum = C1,
  eventType: 'Normal' | 'Warning' = 'Normal',
): Step => ({ hook: 'event', phase, checksum, message, eventType });

describe('Function: placeHook', () => {
  const awaiting = aRun({ service: SERVICE, state: 'awaiting-start', openingChecksum: C0, phase: 'Waiting' });
  const running = aRun({
    service: SERVICE,
    state: 'progressing',
    openingChecksum: C0,
    checksum: C1,
    phase: 'Progressing',
  });
  const ended = aRun({
    service: SERVICE,
    state: 'ended',
    openingChecksum: C0,
    checksum: C1,
    phase: 'Succeeded',
    outcome: 'succeeded',
  });

  it.each<{ name: string; current: Run | undefined; step: Step; expected: Placement }>([
    { name: 'no run, confirm-rollout', current: undefined, step: confirmRollout('Succeeded'), expected: 'new' },
    { name: 'no run, a Progressing hook', current: undefined, step: progressing('rollout'), expected: 'new' },
    { name: 'no run, an event', current: undefined, step: event('Starting canary analysis'), expected: 'none' },
    {
      name: 'no run, post-rollout',
      current: undefined,
      step: { hook: 'post-rollout', phase: 'Succeeded', checksum: C1 },
      expected: 'none',
    },
    {
      name: 'awaiting, confirm-rollout Waiting',
      current: awaiting,
      step: confirmRollout('Waiting'),
      expected: 'current',
    },
    {
      name: 'awaiting, confirm-rollout Waiting with another checksum',
      current: awaiting,
      step: confirmRollout('Waiting', C2),
      expected: 'current',
    },
    {
      name: 'awaiting, confirm-rollout retried before Waiting was saved',
      current: awaiting,
      step: confirmRollout('Succeeded', C0),
      expected: 'current',
    },
    {
      name: 'awaiting, confirm-rollout after another revision failed',
      current: awaiting,
      step: confirmRollout('Failed', C2),
      expected: 'new',
    },
    {
      name: 'awaiting, first Progressing hook',
      current: awaiting,
      step: progressing('pre-rollout'),
      expected: 'current',
    },
    { name: 'progressing, same checksum', current: running, step: progressing('rollout', C1), expected: 'current' },
    { name: 'progressing, another checksum', current: running, step: progressing('rollout', C2), expected: 'new' },
    { name: 'progressing, an event', current: running, step: event('Advance x canary weight 10'), expected: 'current' },
    { name: 'ended, next confirm-rollout', current: ended, step: confirmRollout('Succeeded', C1), expected: 'new' },
    {
      name: 'ended, late post-rollout',
      current: ended,
      step: { hook: 'post-rollout', phase: 'Succeeded', checksum: C1 },
      expected: 'current',
    },
    {
      name: 'ended, late rollout with its checksum',
      current: ended,
      step: progressing('rollout', C1),
      expected: 'current',
    },
    {
      name: 'ended, a Progressing hook of a new revision',
      current: ended,
      step: progressing('rollout', C2),
      expected: 'new',
    },
    { name: 'ended, an event', current: ended, step: event('Promotion completed!', 'Succeeded'), expected: 'current' },
  ])('places "$name" as $expected', ({ current, step, expected }) => {
    // Arrange
    const call = hookCall(step);

    // Act
    const placement = placeHook(current, call);

    // Assert
    expect(placement).toBe(expected);
  });
});

describe('Function: placeHook + applyHook (manual confirm-rollout)', () => {
  // Flagger calls confirm-rollout with the previous phase and the PREVIOUS revision's checksum until it answers 2xx,
  // then the analysis starts and hooks from Progressing on carry the new checksum.
  const steps: Step[] = [
    confirmRollout('Succeeded'),
    event('Halt product-service.production advancement waiting for approval gate', 'Waiting', C0, 'Warning'),
    confirmRollout('Waiting'),
    confirmRollout('Waiting'),
    confirmRollout('Waiting'),
    event('Confirm-rollout check gate passed', 'Waiting', C0),
    progressing('rollback'),
    progressing('pre-rollout'),
  ];
  const trace = replay(steps);

  it.each([
    { i: 0, placement: 'new', state: 'awaiting-start', checksum: undefined, phase: 'Succeeded' },
    { i: 1, placement: 'current', state: 'awaiting-start', checksum: undefined, phase: 'Waiting' },
    { i: 2, placement: 'current', state: 'awaiting-start', checksum: undefined, phase: 'Waiting' },
    { i: 3, placement: 'current', state: 'awaiting-start', checksum: undefined, phase: 'Waiting' },
    { i: 4, placement: 'current', state: 'awaiting-start', checksum: undefined, phase: 'Waiting' },
    { i: 5, placement: 'current', state: 'awaiting-start', checksum: undefined, phase: 'Waiting' },
    { i: 6, placement: 'current', state: 'progressing', checksum: C1, phase: 'Progressing' },
    { i: 7, placement: 'current', state: 'progressing', checksum: C1, phase: 'Progressing' },
  ])('step $i is placed $placement and leaves the run $state', ({ i, placement, state, checksum, phase }) => {
    // Arrange
    const step = trace[i];

    // Act
    const run = step?.run;

    // Assert
    expect(step?.placement).toBe(placement);
    expect(step?.runs).toHaveLength(1);
    expect(run?.number).toBe(1);
    expect(run?.state).toBe(state);
    expect(run?.checksum).toBe(checksum);
    expect(run?.phase).toBe(phase);
  });

  it('keeps the opening checksum of the previous revision apart from the bound one', () => {
    // Arrange
    const last = trace.at(-1)?.run;

    // Act
    const checksums = { opening: last?.openingChecksum, bound: last?.checksum };

    // Assert
    expect(checksums).toEqual({ opening: C0, bound: C1 });
  });

  it('records when the analysis started once', () => {
    // Arrange
    const last = trace.at(-1)?.run;

    // Act
    const started = last?.timeline.filter((e) => e.text === 'Analysis started');

    // Assert
    expect(started).toEqual([{ at: minute(6).toISOString(), text: 'Analysis started' }]);
  });
});

describe('Function: placeHook + applyHook (automatic confirm-rollout)', () => {
  const steps: Step[] = [
    confirmRollout('Succeeded'),
    // "New revision detected! Scaling up" is recorded on a Progressing copy before the status holds the new revision.
    event('New revision detected! Scaling up product-service.production', 'Progressing', C0),
    progressing('rollback'),
    event('Starting canary analysis for product-service.production'),
    progressing('pre-rollout'),
    progressing('confirm-traffic-increase'),
    event('Advance product-service.production canary weight 10'),
    progressing('rollback'),
    progressing('rollout'),
    progressing('confirm-traffic-increase'),
    event('Advance product-service.production canary weight 20'),
    progressing('rollout'),
    progressing('confirm-promotion'),
    { hook: 'post-rollout', phase: 'Succeeded', checksum: C1 },
  ];
  const trace = replay(steps);

  it('keeps every hook of the release in one run', () => {
    // Arrange
    const placements = trace.map((t) => t.placement);

    // Act
    const runs = trace.at(-1)?.runs ?? [];

    // Assert
    expect(placements).toEqual(['new', ...Array(steps.length - 1).fill('current')]);
    expect(runs).toHaveLength(1);
  });

  it('does not bind the run to the checksum carried by the scaling-up event', () => {
    // Arrange
    const afterEvent = trace[1]?.run;

    // Act
    const state = { state: afterEvent?.state, checksum: afterEvent?.checksum };

    // Assert
    expect(state).toEqual({ state: 'awaiting-start', checksum: undefined });
  });

  it('binds the run on the first Progressing hook and ends it on post-rollout', () => {
    // Arrange
    const bound = trace[2]?.run;

    // Act
    const last = trace.at(-1)?.run;

    // Assert
    expect(bound?.state).toBe('progressing');
    expect(bound?.checksum).toBe(C1);
    expect(last?.state).toBe('ended');
    expect(last?.outcome).toBe('succeeded');
    expect(last?.weight).toBe(20);
  });

  it('opens and binds a run on the first Progressing hook when no confirm-rollout hook is configured', () => {
    // Arrange
    const previous = replay([confirmRollout('Succeeded'), progressing('rollout', C0), event('x', 'Succeeded', C0)]);
    const endedFirst = previous.at(-1)?.run;

    // Act
    const call = hookCall(progressing('rollback', C1), minute(9));
    const placement = placeHook(endedFirst, call);
    const run = applyHook(newRun(call, 2), call);

    // Assert
    expect(endedFirst?.state).toBe('ended');
    expect(placement).toBe('new');
    expect(run).toMatchObject({ number: 2, state: 'progressing', openingChecksum: C1, checksum: C1 });
  });
});

describe('Function: placeHook + supersede (revision changed during the analysis)', () => {
  const steps: Step[] = [
    confirmRollout('Succeeded'),
    progressing('pre-rollout', C1),
    progressing('rollout', C1),
    event('New revision detected! Restarting analysis for product-service.production', 'Progressing', C1),
    progressing('rollback', C2),
    progressing('pre-rollout', C2),
  ];
  const trace = replay(steps);

  it('opens a new run on the first hook with the new checksum', () => {
    // Arrange
    const changed = trace[4];

    // Act
    const placements = trace.map((t) => t.placement);

    // Assert
    expect(placements).toEqual(['new', 'current', 'current', 'current', 'new', 'current']);
    expect(changed?.run).toMatchObject({ number: 2, state: 'progressing', checksum: C2 });
  });

  it('ends the old run as superseded when the caller supersedes it', () => {
    // Arrange
    const runs = trace.at(-1)?.runs ?? [];

    // Act
    const old = runs[0];

    // Assert
    expect(old).toMatchObject({ number: 1, state: 'ended', outcome: 'superseded', endedAt: minute(4).toISOString() });
    expect(old?.timeline.at(-1)?.text).toBe('Superseded by a newer revision');
  });
});

describe('Function: supersede', () => {
  it('leaves an ended run as it is', () => {
    // Arrange
    const ended = aRun({ state: 'ended', outcome: 'failed', endedAt: minute(1).toISOString() });

    // Act
    const result = supersede(ended, minute(5));

    // Assert
    expect(result).toBe(ended);
  });

  it('does not mutate the run it supersedes', () => {
    // Arrange
    const run = aRun({ state: 'progressing', checksum: C1, phase: 'Progressing' });
    const timelineBefore = run.timeline.length;

    // Act
    supersede(run, minute(5));

    // Assert
    expect(run.state).toBe('progressing');
    expect(run.timeline).toHaveLength(timelineBefore);
  });
});

describe('Function: applyHook (end of a run)', () => {
  const running = (): Run =>
    aRun({
      service: SERVICE,
      state: 'progressing',
      openingChecksum: C0,
      checksum: C1,
      phase: 'Progressing',
      weight: 40,
    });

  it.each([
    { phase: 'Succeeded' as Phase, outcome: 'succeeded', weight: 40, text: 'Promoted', warning: false },
    { phase: 'Failed' as Phase, outcome: 'failed', weight: 0, text: 'Failed, rolled back', warning: true },
  ])('ends the run on post-rollout $phase', ({ phase, outcome, weight, text, warning }) => {
    // Arrange
    const call = hookCall({ hook: 'post-rollout', phase, checksum: C1 }, minute(30));

    // Act
    const ended = applyHook(running(), call);

    // Assert
    expect(ended).toMatchObject({ state: 'ended', outcome, weight, phase, endedAt: minute(30).toISOString() });
    expect(ended.timeline.at(-1)).toEqual({ at: minute(30).toISOString(), text, warning });
  });

  it('changes nothing on a late duplicate after the end', () => {
    // Arrange
    const ended = applyHook(running(), hookCall({ hook: 'post-rollout', phase: 'Failed', checksum: C1 }, minute(30)));
    const duplicate = hookCall({ hook: 'post-rollout', phase: 'Succeeded', checksum: C1 }, minute(31));

    // Act
    const placement = placeHook(ended, duplicate);
    const after = applyHook(ended, duplicate);

    // Assert
    expect(placement).toBe('current');
    expect(after).toBe(ended);
    expect(after.outcome).toBe('failed');
  });

  it('does not mutate the run it is given', () => {
    // Arrange
    const run = running();
    const snapshot = structuredClone(run);

    // Act
    applyHook(run, hookCall({ hook: 'post-rollout', phase: 'Failed', checksum: C1 }, minute(30)));

    // Assert
    expect(run).toEqual(snapshot);
  });
});

describe('Function: applyHook (events)', () => {
  const running = (): Run =>
    aRun({
      service: SERVICE,
      state: 'progressing',
      openingChecksum: C0,
      checksum: C1,
      phase: 'Progressing',
      weight: 30,
    });

  it.each([
    { name: 'Failed with the run checksum', phase: 'Failed' as Phase, checksum: C1, state: 'ended', outcome: 'failed' },
    {
      name: 'Succeeded with the run checksum',
      phase: 'Succeeded' as Phase,
      checksum: C1,
      state: 'ended',
      outcome: 'succeeded',
    },
    {
      name: 'Failed with another checksum',
      phase: 'Failed' as Phase,
      checksum: C0,
      state: 'progressing',
      outcome: undefined,
    },
    { name: 'Progressing', phase: 'Progressing' as Phase, checksum: C1, state: 'progressing', outcome: undefined },
  ])('a terminal-phase event "$name" leaves the run $state', ({ phase, checksum, state, outcome }) => {
    // Arrange
    const call = hookCall(event('Canary failed! Scaling down product-service.production', phase, checksum), minute(20));

    // Act
    const run = applyHook(running(), call);

    // Assert
    expect(run.state).toBe(state);
    expect(run.outcome).toBe(outcome);
  });

  it('does not end a run still awaiting its start', () => {
    // Arrange
    const awaiting = aRun({ service: SERVICE, state: 'awaiting-start', openingChecksum: C0, phase: 'Waiting' });
    const call = hookCall(event('Promotion completed!', 'Succeeded', C0), minute(2));

    // Act
    const run = applyHook(awaiting, call);

    // Assert
    expect(run.state).toBe('awaiting-start');
    expect(run.checksum).toBeUndefined();
  });

  it('never opens a run', () => {
    // Arrange
    const call = hookCall(event('New revision detected! Scaling up product-service.production', 'Progressing', C1));

    // Act
    const placement = placeHook(undefined, call);

    // Assert
    expect(placement).toBe('none');
  });

  it.each([
    { message: 'Advance product-service.production canary weight 20', weight: 20 },
    { message: 'Advance product-service.production canary weight 5', weight: 5 },
    { message: 'Advance product-service.production Canary Weight 50', weight: 30 },
    { message: 'Advance product-service.production canary iteration 2/10', weight: 30 },
    { message: 'Advance product-service.production primary weight 60', weight: 30 },
    { message: 'Starting canary analysis for product-service.production', weight: 30 },
  ])('tracks the weight from "$message"', ({ message, weight }) => {
    // Arrange
    const call = hookCall(event(message), minute(5));

    // Act
    const run = applyHook(running(), call);

    // Assert
    expect(run.weight).toBe(weight);
  });

  it('follows the weight across a sequence of advance events', () => {
    // Arrange
    const steps = [10, 20, 30, 40, 50].map((w) => event(`Advance product-service.production canary weight ${w}`));

    // Act
    const weights = replay([progressing('rollout'), ...steps]).map((t) => t.run?.weight);

    // Assert
    expect(weights).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it('records Warning events as warnings in the timeline', () => {
    // Arrange
    const message = 'Halt product-service.production advancement success rate 97.12% < 99%';
    const call = hookCall(event(message, 'Progressing', C1, 'Warning'), minute(7));

    // Act
    const run = applyHook(running(), call);

    // Assert
    expect(run.timeline.at(-1)).toEqual({ at: minute(7).toISOString(), text: message, warning: true });
  });

  it('adds nothing to the timeline for an event without a message', () => {
    // Arrange
    const call = hookCall({ hook: 'event', phase: 'Progressing', checksum: C1 }, minute(7));
    const before = running();

    // Act
    const run = applyHook(before, call);

    // Assert
    expect(run.timeline).toEqual(before.timeline);
  });
});

describe('Function: addToTimeline', () => {
  it('keeps a message Flagger repeats every tick once', () => {
    // Arrange
    const message = 'Halt product-service.production advancement waiting for promotion approval gate';
    const steps = [
      progressing('rollout'),
      ...Array.from({ length: 10 }, () => event(message, 'Progressing', C1, 'Warning')),
    ];

    // Act
    const run = replay(steps).at(-1)?.run;

    // Assert
    expect(run?.timeline.filter((e) => e.text === message)).toHaveLength(1);
  });

  it('keeps a message again once eight other messages came after it', () => {
    // Arrange
    const run = aRun();
    addToTimeline(run, { at: minute(1).toISOString(), text: 'repeated' });
    for (let i = 0; i < 8; i++) addToTimeline(run, { at: minute(2).toISOString(), text: `other ${i}` });

    // Act
    addToTimeline(run, { at: minute(3).toISOString(), text: 'repeated' });

    // Assert
    expect(run.timeline.filter((e) => e.text === 'repeated')).toHaveLength(2);
  });

  it('caps the timeline at 40 entries, keeping the first and the newest', () => {
    // Arrange
    const run = aRun();

    // Act
    for (let i = 0; i < 100; i++) addToTimeline(run, { at: minute(i).toISOString(), text: `message ${i}` });

    // Assert
    expect(run.timeline).toHaveLength(40);
    expect(run.timeline[0]?.text).toBe('New revision detected');
    expect(run.timeline[1]?.text).toBe('message 61');
    expect(run.timeline.at(-1)?.text).toBe('message 99');
  });
});

describe('Function: newRun', () => {
  it('opens a run awaiting its start, numbered, with the opening checksum', () => {
    // Arrange
    const call = hookCall(confirmRollout('Succeeded'), minute(0));

    // Act
    const run = newRun(call, 7);

    // Assert
    expect(run).toMatchObject({
      service: SERVICE,
      number: 7,
      state: 'awaiting-start',
      openingChecksum: C0,
      weight: 0,
      version: 0,
      startedAt: minute(0).toISOString(),
    });
    expect(run.timeline).toEqual([{ at: minute(0).toISOString(), text: 'New revision detected' }]);
  });
});

describe('Function: applyHook (deployer and hooks seen)', () => {
  it('names the deployer from any webhook metadata, and keeps the first one named', () => {
    // Arrange
    const opened = newRun(hookCall(confirmRollout('Succeeded')), 1);

    // Act
    const first = applyHook(opened, hookCall(confirmRollout('Waiting')));
    const named = applyHook(first, hookCall({ ...progressing('confirm-promotion'), deployer: 'U0DEPLOYER' }));
    const later = applyHook(named, hookCall({ ...progressing('rollout'), deployer: 'U0SOMEONE' }));

    // Assert
    expect(first).not.toHaveProperty('deployedBy');
    expect(named.deployedBy).toBe('U0DEPLOYER');
    expect(later.deployedBy).toBe('U0DEPLOYER');
  });

  it.each<{ metadata: Record<string, string> }>([{ metadata: {} }, { metadata: { deployer: '' } }])(
    'leaves deployedBy out for $metadata',
    ({ metadata }) => {
      // Arrange
      const call: HookCall = { ...hookCall(confirmRollout('Succeeded')), metadata };

      // Act
      const run = applyHook(newRun(call, 1), call);

      // Assert
      expect(run).not.toHaveProperty('deployedBy');
    },
  );

  it('lists each hook type Flagger called once, so a missing rollback webhook can be pointed out', () => {
    // Arrange
    const calls = [
      confirmRollout('Succeeded'),
      progressing('rollback'),
      progressing('rollout'),
      progressing('rollback'),
    ];

    // Act
    const run = calls.reduce((r, step) => applyHook(r, hookCall(step)), newRun(hookCall(calls[0] as Step), 1));

    // Assert
    expect(run.hooks).toEqual(['confirm-rollout', 'rollback', 'rollout']);
  });
});

describe('Function: canRollBack', () => {
  it.each<{ state: Run['state']; phase: Phase; expected: boolean }>([
    { state: 'awaiting-start', phase: 'Succeeded', expected: false },
    { state: 'awaiting-start', phase: 'Waiting', expected: false },
    { state: 'progressing', phase: 'Progressing', expected: true },
    { state: 'progressing', phase: 'WaitingPromotion', expected: true },
    { state: 'progressing', phase: 'Promoting', expected: false },
    { state: 'progressing', phase: 'Finalising', expected: false },
    { state: 'ended', phase: 'Progressing', expected: false },
    { state: 'ended', phase: 'Failed', expected: false },
    { state: 'ended', phase: 'Succeeded', expected: false },
  ])('is $expected for a $state run in phase $phase', ({ state, phase, expected }) => {
    // Arrange
    const run = aRun({ state, phase });

    // Act
    const result = canRollBack(run);

    // Assert
    expect(result).toBe(expected);
  });
});

describe('Function: runLabel', () => {
  it('names the service and the run number', () => {
    // Arrange
    const run = { service: SERVICE, number: 12 };

    // Act
    const label = runLabel(run);

    // Assert
    expect(label).toBe('production/product-service release #12');
  });
});

describe('Function: applyHook (the weight comes only from Flagger stating it)', () => {
  const running = (): Run =>
    aRun({
      service: SERVICE,
      state: 'progressing',
      openingChecksum: C0,
      checksum: C1,
      phase: 'Progressing',
      weight: 10,
    });
  const GENUINE = /^Advance product-service\.production canary weight \d+$/;

  it('takes the weight from a Normal "Advance <name>.<namespace> canary weight N" and says Flagger stated it', () => {
    // Arrange
    const call = hookCall(event('Advance product-service.production canary weight 40'), minute(3));

    // Act
    const run = applyHook(running(), call);

    // Assert
    expect(run).toMatchObject({ weight: 40, weightFrom: 'flagger' });
  });

  it.each<{ name: string; message: string; type: 'Normal' | 'Warning' }>([
    {
      name: 'a Warning quoting another webhook response',
      message: 'Halt product-service.production advancement external check load-test failed 500 canary weight 50',
      type: 'Warning',
    },
    {
      name: "Flagger's wording as a Warning",
      message: 'Advance product-service.production canary weight 50',
      type: 'Warning',
    },
    { name: 'another Canary', message: 'Advance checkout.production canary weight 50', type: 'Normal' },
    { name: 'trailing text', message: 'Advance product-service.production canary weight 50 (was 10)', type: 'Normal' },
    { name: 'leading text', message: 'x Advance product-service.production canary weight 50', type: 'Normal' },
    { name: 'over 100', message: 'Advance product-service.production canary weight 500', type: 'Normal' },
    { name: 'free text with a number', message: 'canary weight 50 reached, says someone', type: 'Normal' },
    { name: 'an iteration', message: 'Advance product-service.production canary iteration 5/10', type: 'Normal' },
    { name: 'the primary weight', message: 'Advance product-service.production primary weight 50', type: 'Normal' },
  ])('ignores $name', ({ message, type }) => {
    // Arrange
    const call = hookCall(event(message, 'Progressing', C1, type), minute(3));

    // Act
    const run = applyHook(running(), call);

    // Assert
    expect(run.weight).toBe(10);
    expect(run).not.toHaveProperty('weightFrom');
  });

  it('leaves the weight alone for any event text that is not Flagger stating an advance (property)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .constantFrom('canary weight ', 'Advance product-service.production canary weight ')
        .chain((prefix) =>
          fc
            .tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 1000 }), fc.string({ maxLength: 10 }))
            .map(([before, n, after]) => `${before}${prefix}${n}${after}`),
        ),
    );
    const type = fc.constantFrom<'Normal' | 'Warning'>('Normal', 'Warning');
    fc.assert(
      fc.property(text, type, (message, eventType) => {
        fc.pre(!(eventType === 'Normal' && GENUINE.test(message)));
        const run = applyHook(running(), hookCall(event(message, 'Progressing', C1, eventType), minute(3)));
        expect(advancedWeight(hookCall(event(message, 'Progressing', C1, eventType)))).toBeUndefined();
        expect(run.weight).toBe(10);
      }),
    );
  });
});

describe('Function: applyHook (the iteration of blue-green and A/B testing)', () => {
  const running = (): Run =>
    aRun({ service: SERVICE, state: 'progressing', openingChecksum: C0, checksum: C1, phase: 'Progressing' });

  it('keeps the iteration Flagger announces, and only from its own Normal event', () => {
    const at = (message: string, eventType: 'Normal' | 'Warning' = 'Normal') =>
      applyHook(running(), hookCall(event(message, 'Progressing', C1, eventType), minute(3))).iteration;

    expect(at('Advance product-service.production canary iteration 4/10')).toEqual({ done: 4, of: 10 });
    expect(at('Advance product-service.production canary iteration 4/10', 'Warning')).toBeUndefined();
    expect(at('Advance other.production canary iteration 4/10')).toBeUndefined();
    expect(at('Advance product-service.production canary iteration 11/10')).toBeUndefined();
    expect(at('Advance product-service.production canary iteration 0/10')).toBeUndefined();
    expect(at('Advance product-service.production canary iteration 4/10 and more')).toBeUndefined();
    expect(at('Advance product-service.production canary iteration 4/99999')).toBeUndefined();
  });
});

describe('Function: applyHook (every deployer of the run)', () => {
  const named = (deployer: string): Step => ({ ...progressing('rollout'), deployer });

  it('keeps every distinct deployer any hook names, the first one as deployedBy', () => {
    // Arrange
    const opened = newRun(hookCall(confirmRollout('Succeeded')), 1);

    // Act
    const run = [named('U0FIRST'), named('U0SECOND'), named('U0FIRST'), progressing('rollout')].reduce(
      (r, step) => applyHook(r, hookCall(step)),
      opened,
    );

    // Assert
    expect(run.deployedBy).toBe('U0FIRST');
    expect(run.deployers).toEqual(['U0FIRST', 'U0SECOND']);
    expect(deployersOf(run)).toEqual(['U0FIRST', 'U0SECOND']);
  });

  it('bounds how many deployers it keeps and how long each one is', () => {
    // Arrange
    const long = `U${'X'.repeat(10_000)}`;
    const steps = [named(long), ...Array.from({ length: 50 }, (_, i) => named(`U0DEPLOYER${i}`))];

    // Act
    const run = steps.reduce(
      (r, step) => applyHook(r, hookCall(step)),
      newRun(hookCall(confirmRollout('Succeeded')), 1),
    );

    // Assert
    expect(run.deployers).toHaveLength(DEPLOYERS_LIMIT);
    expect(run.deployedBy?.length).toBeLessThan(TEXT_LIMITS.deployer + 50);
    expect(run.deployedBy).toContain('characters cut');
    expect(run.deployers?.[1]).toBe('U0DEPLOYER0');
  });
});

describe('Function: applyHook (bounded records)', () => {
  const running = (): Run =>
    aRun({ service: SERVICE, state: 'progressing', openingChecksum: C0, checksum: C1, phase: 'Progressing' });

  it('cuts a long event message on the timeline and says so', () => {
    // Arrange
    const message = `Halt advancement: ${'response body '.repeat(5_000)}`;

    // Act
    const run = applyHook(running(), hookCall(event(message, 'Progressing', C1, 'Warning'), minute(2)));

    // Assert
    const text = run.timeline.at(-1)?.text ?? '';
    expect(text.length).toBeLessThan(TEXT_LIMITS.eventMessage + 50);
    expect(text.startsWith(message.slice(0, TEXT_LIMITS.eventMessage))).toBe(true);
    expect(text).toMatch(/characters cut\)$/);
  });

  it('cuts a long message Flagger repeats every tick, and still keeps it once', () => {
    // Arrange
    const message = `Halt product-service.production advancement ${'x'.repeat(60_000)}`;

    // Act
    const run = Array.from({ length: 10 }, (_, i) =>
      hookCall(event(message, 'Progressing', C1, 'Warning'), minute(i)),
    ).reduce(applyHook, running());

    // Assert
    const kept = run.timeline.filter((e) => e.text.startsWith('Halt product-service'));
    expect(kept).toHaveLength(1);
    expect(kept[0]?.text.length).toBeLessThan(TEXT_LIMITS.eventMessage + 50);
  });

  it('stays under 32 KB after 5,000 events of 60 KB each, and still records a rollback', () => {
    // Arrange
    const body = 'y'.repeat(60_000);
    let run = running();

    // Act
    for (let i = 0; i < 5_000; i++) {
      const type = i % 2 === 0 ? 'Warning' : 'Normal';
      run = applyHook(run, hookCall({ ...event(`${i} ${body}`, 'Progressing', C1, type), deployer: `U${i}${body}` }));
    }
    const rolledBack: Run = { ...run, rollback: { by: 'U0APPROVER', at: minute(9).toISOString(), reason: 'p95' } };

    // Assert
    expect(JSON.stringify(run).length).toBeLessThan(32_000);
    expect(JSON.stringify(rolledBack).length).toBeLessThan(32_000);
    expect(run.state).toBe('progressing');
  });
});
