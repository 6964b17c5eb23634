import { at, list, num, text } from './untyped';

/**
 * How Flagger moves a Canary's traffic: the fields of its `spec.analysis` that decide it, under the Canary's own
 * names, so the config's copy and the live Canary read alike. `match` only says whether the Canary routes by
 * request match (its conditions are Istio's business, not the bot's).
 */
export interface AnalysisShape {
  stepWeight?: number;
  maxWeight?: number;
  stepWeights?: number[];
  iterations?: number;
  match?: boolean;
  /** How often Flagger checks (`1m`), and after how many failed checks it rolls back: told, not computed with. */
  interval?: string;
  threshold?: number;
}

export type Strategy = 'canary' | 'blue-green' | 'ab-testing';

/**
 * The config's shape with the bot's long-standing defaults (stepWeight 10, maxWeight 50: the design document's
 * canary) for a weighted canary that leaves them out.
 */
export function withDefaults(a: AnalysisShape): AnalysisShape {
  if (strategyOf(a) !== 'canary' || a.stepWeights) return a;
  return { stepWeight: 10, maxWeight: 50, ...a };
}

/** Flagger v1.44's `Canary.DeploymentStrategy`: iterations with a match is A/B testing, without one blue-green. */
export function strategyOf(a: AnalysisShape): Strategy {
  if ((a.iterations ?? 0) > 0) return a.match ? 'ab-testing' : 'blue-green';
  return 'canary';
}

export const STRATEGY_NAMES: Record<Strategy, string> = {
  canary: 'canary',
  'blue-green': 'blue-green',
  'ab-testing': 'A/B testing',
};

const TOTAL = 100;

/** Flagger's `maxWeight`: the last of stepWeights (at most 100), else maxWeight, else 100. */
export function maxWeightOf(a: AnalysisShape): number {
  const last = a.stepWeights?.at(-1);
  if (last !== undefined) return Math.min(TOTAL, last);
  return (a.maxWeight ?? 0) > 0 ? (a.maxWeight as number) : TOTAL;
}

/** Flagger's `nextStepWeight`: a stepWeight wins over a stepWeights list; a weight off the list goes to 100. */
function stepFrom(a: AnalysisShape, weight: number): number {
  const steps = a.stepWeights ?? [];
  if ((a.stepWeight ?? 0) > 0 || steps.length === 0) return a.stepWeight ?? 0;
  const room = TOTAL - weight;
  if (room === 0) return 1;
  if (weight === 0) return Math.min(room, steps[0] as number);
  const i = steps.indexOf(weight);
  if (i >= 0 && i < steps.length - 1) return Math.min(room, (steps[i + 1] as number) - weight);
  return room;
}

/**
 * The weight Flagger moves to when it passes confirm-traffic-increase at `weight` (scheduler.go `runCanary`): while
 * below the max weight it adds the step, capped at 100, not at the max (step 20, max 50: 20, 40, 60).
 */
export function nextWeight(a: AnalysisShape, weight: number): number {
  if (weight >= maxWeightOf(a)) return weight;
  return Math.min(weight + stepFrom(a, weight), TOTAL);
}

/** At most this many steps are modelled (a BatchGetItem takes 100 keys; a status line stays readable). */
export const MAX_STEPS = 20;

/** The weights a weighted canary passes through, from the first step to the max weight; none for iterations. */
export function weightSteps(a: AnalysisShape): number[] {
  if (strategyOf(a) !== 'canary') return [];
  const steps: number[] = [];
  for (let w = 0; w < maxWeightOf(a) && steps.length < MAX_STEPS; ) {
    const next = nextWeight(a, w);
    if (next <= w) break; // no step at all (stepWeight 0): Flagger never moves either
    steps.push(next);
    w = next;
  }
  return steps;
}

/** The shape as the Canary's spec states it, read without trusting its types; absent fields stay absent. */
export function shapeOfCanary(canary: unknown): AnalysisShape {
  const analysis = at(canary, 'spec', 'analysis');
  const shape: AnalysisShape = {};
  const stepWeight = num(at(analysis, 'stepWeight'));
  const maxWeight = num(at(analysis, 'maxWeight'));
  const iterations = num(at(analysis, 'iterations'));
  const stepWeights = list(at(analysis, 'stepWeights'))
    .filter((w): w is number => typeof w === 'number' && Number.isInteger(w))
    .slice(0, MAX_STEPS);
  if (stepWeight !== undefined) shape.stepWeight = stepWeight;
  if (maxWeight !== undefined) shape.maxWeight = maxWeight;
  if (stepWeights.length > 0) shape.stepWeights = stepWeights;
  if (iterations !== undefined) shape.iterations = iterations;
  if (list(at(analysis, 'match')).length > 0) shape.match = true;
  const interval = text(at(analysis, 'interval'));
  if (interval && INTERVAL.test(interval)) shape.interval = interval;
  const threshold = num(at(analysis, 'threshold'));
  if (threshold !== undefined && Number.isInteger(threshold)) shape.threshold = threshold;
  return shape;
}

/** A Go duration as Canaries write their interval (`30s`, `1m`, `1m30s`), bounded. */
export const INTERVAL = /^(\d{1,4}(\.\d{1,3})?(ms|s|m|h)){1,3}$/;

/** `stepWeight 10, maxWeight 50`, `stepWeights [5, 10, 25]`, `iterations 10, match`: the fields that are set. */
export function describeShape(a: AnalysisShape): string {
  const parts: string[] = [];
  if (a.stepWeight !== undefined) parts.push(`stepWeight ${a.stepWeight}`);
  if (a.maxWeight !== undefined) parts.push(`maxWeight ${a.maxWeight}`);
  if (a.stepWeights) parts.push(`stepWeights [${a.stepWeights.join(', ')}]`);
  if (a.iterations !== undefined) parts.push(`iterations ${a.iterations}`);
  if (a.match) parts.push('match');
  return parts.length > 0 ? parts.join(', ') : 'nothing set';
}

const FIELDS = ['stepWeight', 'maxWeight', 'stepWeights', 'iterations', 'match', 'interval', 'threshold'] as const;

/**
 * The fields the config states that the live Canary contradicts, as sentences (`stepWeight: the config says 10,
 * the Canary 20`). A field the config leaves out is not a disagreement.
 */
export function disagreements(config: AnalysisShape, live: AnalysisShape): string[] {
  const out: string[] = [];
  const show = (v: unknown) =>
    v === undefined || v === false ? 'unset' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
  for (const field of FIELDS) {
    if (config[field] === undefined) continue;
    const [said, is] = [show(config[field]), show(live[field])];
    if (said !== is) out.push(`${field}: the config says ${said}, the Canary ${is}`);
  }
  return out;
}
