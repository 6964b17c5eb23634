import fc from 'fast-check';
import {
  disagreements,
  maxWeightOf,
  nextWeight,
  shapeOfCanary,
  strategyOf,
  weightSteps,
  withDefaults,
} from '../../shared/domain/strategy';

describe('Function: strategyOf', () => {
  it.each([
    { shape: { stepWeight: 10, maxWeight: 50 }, strategy: 'canary' },
    { shape: { stepWeights: [5, 10] }, strategy: 'canary' },
    { shape: { iterations: 10 }, strategy: 'blue-green' },
    { shape: { iterations: 10, match: true }, strategy: 'ab-testing' },
    // A match without iterations is still a weighted canary to Flagger (DeploymentStrategy).
    { shape: { match: true, stepWeight: 10 }, strategy: 'canary' },
  ])('says $strategy for $shape, as Flagger v1.44 does', ({ shape, strategy }) => {
    expect(strategyOf(shape)).toBe(strategy);
  });
});

describe('Function: nextWeight', () => {
  it.each([
    { step: 10, max: 50, current: 0, next: 10 },
    { step: 10, max: 50, current: 20, next: 30 },
    { step: 10, max: 50, current: 40, next: 50 },
    { step: 10, max: 50, current: 50, next: 50 },
    { step: 5, max: 100, current: 95, next: 100 },
    { step: 25, max: 100, current: 0, next: 25 },
  ])('moves from $current% to $next% (step $step, max $max)', ({ step, max, current, next }) => {
    expect(nextWeight({ stepWeight: step, maxWeight: max }, current)).toBe(next);
  });

  // Flagger (pkg/controller/scheduler.go, runCanary) advances with `canaryWeight += stepWeight`, capped at 100, while
  // canaryWeight < maxWeight. With stepWeight 20 and maxWeight 50 it goes 20 -> 40 -> 60, then promotes.
  it('predicts the weight Flagger moves to when stepWeight does not divide maxWeight', () => {
    expect(nextWeight({ stepWeight: 20, maxWeight: 50 }, 40)).toBe(60);
    expect(weightSteps({ stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 60]);
  });

  it.each([
    { current: 0, next: 5 },
    { current: 5, next: 10 },
    { current: 10, next: 25 },
    { current: 25, next: 50 },
    { current: 50, next: 50 },
    // Off the list (the weight was moved by hand): Flagger's nextStepWeight returns the room left, so 100.
    { current: 7, next: 100 },
  ])('follows a stepWeights list [5, 10, 25, 50] from $current% to $next%', ({ current, next }) => {
    expect(nextWeight({ stepWeights: [5, 10, 25, 50] }, current)).toBe(next);
  });

  it('caps a list whose last weight is over 100 at 100', () => {
    expect(maxWeightOf({ stepWeights: [50, 150] })).toBe(100);
    expect(weightSteps({ stepWeights: [50, 150] })).toEqual([50, 100]);
  });

  it('has no steps without a step (Flagger never moves either) and none for iterations', () => {
    expect(weightSteps({ maxWeight: 50 })).toEqual([]);
    expect(weightSteps({ iterations: 10 })).toEqual([]);
  });

  it('never decreases on any weight Flagger can reach, and ends at the max weight or above (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }), fc.nat(), (step, max, n) => {
        const shape = { stepWeight: step, maxWeight: max };
        const steps = weightSteps(shape);
        const current = [0, ...steps][n % (steps.length + 1)] ?? 0;
        const last = steps.at(-1) ?? 0;
        return nextWeight(shape, current) >= current && (last >= max || steps.length === 20);
      }),
    );
  });

  it('walks any increasing stepWeights list exactly, capped at 100 (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 }), (raw) => {
        const list = [...raw].sort((a, b) => a - b);
        expect(weightSteps({ stepWeights: list })).toEqual(list);
      }),
    );
  });
});

describe('Function: withDefaults', () => {
  it("fills the bot's default canary steps only where a weighted canary leaves them out", () => {
    expect(withDefaults({})).toEqual({ stepWeight: 10, maxWeight: 50 });
    expect(withDefaults({ stepWeight: 20 })).toEqual({ stepWeight: 20, maxWeight: 50 });
    expect(withDefaults({ stepWeights: [5, 50] })).toEqual({ stepWeights: [5, 50] });
    expect(withDefaults({ iterations: 3 })).toEqual({ iterations: 3 });
  });
});

describe('Function: shapeOfCanary', () => {
  it('reads the strategy fields of spec.analysis and ignores the rest', () => {
    const canary = {
      spec: {
        analysis: {
          interval: '1m',
          iterations: 10,
          stepWeightPromotion: 100,
          match: [{ headers: { 'x-user-type': { exact: 'beta' } } }],
          webhooks: [],
        },
      },
    };
    expect(shapeOfCanary(canary)).toEqual({ iterations: 10, match: true, interval: '1m' });
  });

  it('keeps an interval only when it is a duration, and a whole threshold', () => {
    const read = (analysis: Record<string, unknown>) => shapeOfCanary({ spec: { analysis } });

    expect(read({ interval: '1m30s', threshold: 5 })).toEqual({ interval: '1m30s', threshold: 5 });
    expect(read({ interval: '<!channel>', threshold: 2.5 })).toEqual({});
    expect(read({ interval: `${'1'.repeat(5000)}s`, threshold: '5' })).toEqual({});
  });

  it('keeps only integer weights of a list, at most 20, and reads nothing from a malformed Canary', () => {
    const list = [5, '10', 2.5, ...Array.from({ length: 30 }, (_, i) => i + 11)];
    expect(shapeOfCanary({ spec: { analysis: { stepWeights: list } } }).stepWeights).toHaveLength(20);
    expect(shapeOfCanary({ spec: { analysis: { stepWeights: list } } }).stepWeights?.slice(0, 2)).toEqual([5, 11]);
    expect(shapeOfCanary({ spec: 'nonsense' })).toEqual({});
    expect(shapeOfCanary(null)).toEqual({});
  });
});

describe('Function: disagreements', () => {
  it('names each field the config states that the live Canary contradicts, and nothing the config leaves out', () => {
    expect(disagreements({ stepWeight: 10, maxWeight: 50 }, { stepWeight: 20, maxWeight: 50 })).toEqual([
      'stepWeight: the config says 10, the Canary 20',
    ]);
    expect(disagreements({}, { stepWeights: [5, 10] })).toEqual([]);
    expect(disagreements({ stepWeights: [5, 10] }, { stepWeights: [5, 10] })).toEqual([]);
    expect(disagreements({ iterations: 3, match: true }, { iterations: 3 })).toEqual([
      'match: the config says true, the Canary unset',
    ]);
    expect(disagreements({ match: false }, {})).toEqual([]);
    expect(disagreements({ interval: '1m', threshold: 5 }, { interval: '30s', threshold: 5 })).toEqual([
      'interval: the config says 1m, the Canary 30s',
    ]);
  });
});
