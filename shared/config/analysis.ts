import * as z from 'zod';
import {
  type AnalysisShape,
  describeShape,
  INTERVAL,
  MAX_STEPS,
  STRATEGY_NAMES,
  strategyOf,
  weightSteps,
  withDefaults,
} from '../domain/strategy';

const weight = z.number().int().min(1).max(100);

/**
 * How the Canary moves traffic, under its own field names (`spec.analysis`): a weighted canary (stepWeight and
 * maxWeight, or a stepWeights list), blue-green (iterations) or A/B testing (iterations and `match: true`). When
 * the service names a cluster the bot reads the live Canary and follows it; these fields are then only checked
 * against it. Nothing here is defaulted, so that the check compares only what was written.
 */
export const analysisSchema = z
  .strictObject({
    stepWeight: weight.optional(),
    maxWeight: weight.optional(),
    stepWeights: z
      .array(weight)
      .min(1)
      .max(MAX_STEPS)
      .refine(
        (list) => list.every((w, i) => i === 0 || w > (list[i - 1] as number)),
        'stepWeights must increase, each weight above the one before',
      )
      .optional(),
    iterations: z.number().int().min(1).max(1000).optional(),
    match: z.boolean().optional(),
    interval: z.string().regex(INTERVAL, 'a duration such as 30s or 1m').optional(),
    threshold: z.number().int().min(1).max(1000).optional(),
  })
  // Flagger's Canary CRD (v1.44) takes exactly one of them: the design document's blue-green, `iterations` with
  // `stepWeight: 100`, is refused by the apiserver (422).
  .refine(
    (a) => [a.iterations, a.stepWeight, a.stepWeights].filter((v) => v !== undefined).length <= 1,
    'give one of iterations, stepWeight and stepWeights, as the Canary does: Flagger refuses a Canary with more',
  )
  .prefault({});

/**
 * A manual or SLO traffic gate must be one Flagger calls: never for blue-green or A/B testing (iterations), and
 * only at weights the canary steps through. Without a stated analysis, a service with a cluster follows its live
 * Canary, whose steps are not known here (`/canary doctor` checks them).
 */
export function trafficGateProblem(svc: {
  analysis: AnalysisShape;
  cluster?: string | undefined;
  gates: { 'confirm-traffic-increase': { mode: string; fromWeight: number } };
}): { path: string[]; message: string } | undefined {
  const traffic = svc.gates['confirm-traffic-increase'];
  if (traffic.mode === 'auto') return undefined;
  const strategy = strategyOf(svc.analysis);
  if (strategy !== 'canary') {
    return {
      path: ['confirm-traffic-increase'],
      message:
        `${STRATEGY_NAMES[strategy]} (iterations) never calls confirm-traffic-increase: ` +
        'gate confirm-promotion instead, or set it to auto',
    };
  }
  const stated = Object.values(svc.analysis).some((v) => v !== undefined);
  if (!stated && svc.cluster) return undefined;
  const steps = weightSteps(withDefaults(svc.analysis));
  if (traffic.fromWeight === 0 || steps.includes(traffic.fromWeight)) return undefined;
  return {
    path: ['confirm-traffic-increase', 'fromWeight'],
    message:
      `fromWeight ${traffic.fromWeight} is not a weight this canary steps through ` +
      `(${describeShape(withDefaults(svc.analysis))}: ${steps.join(', ')})`,
  };
}
