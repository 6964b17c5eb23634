import { type Check, fail, pass, warn } from './doctor';
import type { ServicePolicy } from './policy';
import { describeShape, disagreements, STRATEGY_NAMES, shapeOfCanary, strategyOf, weightSteps } from './strategy';

/**
 * The Canary's analysis: the strategy Flagger runs, whether the config's gates fit it, and where the config's own
 * `analysis` disagrees with it. The bot follows the live Canary (read as each release starts), so a disagreement is
 * a warning: the config is stale, and it is what the bot falls back on when the Canary cannot be read.
 */
export function analysisChecks(policy: ServicePolicy, canary: unknown): Check[] {
  const live = shapeOfCanary(canary);
  const strategy = strategyOf(live);
  const shown = `${STRATEGY_NAMES[strategy]} (${describeShape(live)})`;
  const traffic = policy.gates['confirm-traffic-increase'];
  const checks: Check[] = [];
  if (strategy !== 'canary' && traffic.mode !== 'auto') {
    checks.push(
      fail(
        'strategy',
        `${shown}, but confirm-traffic-increase is ${traffic.mode}`,
        'such a Canary never calls confirm-traffic-increase: gate confirm-promotion instead',
      ),
    );
  }
  const steps = weightSteps(live);
  if (
    strategy === 'canary' &&
    traffic.mode !== 'auto' &&
    traffic.fromWeight > 0 &&
    !steps.includes(traffic.fromWeight)
  ) {
    checks.push(
      fail(
        'strategy',
        `${shown} steps through ${steps.join(', ') || 'no weights'}; fromWeight ${traffic.fromWeight} is not one of them`,
        'set gates.confirm-traffic-increase.fromWeight to one of these weights',
      ),
    );
  }
  if (live.match && strategy === 'canary') {
    checks.push(
      warn(
        'strategy',
        `${shown}: a match without iterations, so Flagger runs a weighted canary, not A/B testing`,
        'add analysis.iterations to the Canary for A/B testing',
      ),
    );
  }
  const drift = disagreements(policy.analysis, live);
  if (drift.length > 0) {
    checks.push(
      warn(
        'analysis',
        `the config disagrees with the Canary (${drift.join('; ')}); the bot follows the Canary`,
        `make services.${policy.service}.analysis say what the Canary says, or remove it`,
      ),
    );
  }
  return checks.length > 0 ? checks : [pass('strategy', `${shown}${steps.length ? `: ${steps.join(' → ')}` : ''}`)];
}
