import { type Check, fail, pass, warn } from './doctor';
import type { ServicePolicy } from './policy';
import { at, list, num } from './untyped';

/**
 * The Canary's analysis against the config's copy of it (`analysis: { stepWeight, maxWeight }`), which the bot
 * uses to know where a traffic step leads: a copy that drifted from the live Canary is reported, not silently used.
 * A Canary without weights (blue-green and A/B testing run `iterations`) never calls confirm-traffic-increase, so
 * a manual traffic gate is never asked.
 */
export function analysisCheck(policy: ServicePolicy, canary: unknown): Check {
  const analysis = at(canary, 'spec', 'analysis');
  const stepWeight = num(at(analysis, 'stepWeight'));
  const maxWeight = num(at(analysis, 'maxWeight'));
  const stepWeights = list(at(analysis, 'stepWeights')).filter((w): w is number => typeof w === 'number');
  const iterations = num(at(analysis, 'iterations'));
  const trafficGate = policy.gates['confirm-traffic-increase'];
  const subject = 'analysis';
  const configured = `stepWeight ${policy.analysis.stepWeight}, maxWeight ${policy.analysis.maxWeight}`;
  if (stepWeights.length > 0) {
    return warn(
      subject,
      `the Canary steps through stepWeights [${stepWeights.join(', ')}]; the config models ${configured}`,
      'set analysis.stepWeight and maxWeight to match the steps as closely as they can, or use stepWeight on the Canary',
    );
  }
  if (stepWeight === undefined && iterations !== undefined) {
    return trafficGate.mode === 'auto'
      ? pass(subject, `${iterations} iterations without weight steps (blue-green or A/B testing)`)
      : fail(
          subject,
          `${iterations} iterations without weight steps, but confirm-traffic-increase is ${trafficGate.mode}`,
          'such a Canary never calls confirm-traffic-increase: gate confirm-promotion instead',
        );
  }
  if (stepWeight === policy.analysis.stepWeight && maxWeight === policy.analysis.maxWeight) {
    return pass(subject, `${configured}, as the Canary says`);
  }
  return warn(
    subject,
    `the Canary says stepWeight ${stepWeight ?? 'unset'}, maxWeight ${maxWeight ?? 'unset'}; the config says ${configured}`,
    "copy the Canary's values into the service's analysis: the bot reads traffic steps from it",
  );
}
