import fc from 'fast-check';
import { alertsSchema } from '../../shared/config/alerts';
import { matchAlert, rollsBackOnItsOwn } from '../../shared/domain/alert-match';

const RULES = alertsSchema.parse({}).labels;
const SERVICES = new Map([
  ['production/product-service', { target: 'product-service' }],
  ['production/checkout', { target: 'checkout-api' }],
]);

describe('matchAlert', () => {
  it.each([
    [{ namespace: 'production', canary: 'product-service' }, 'production/product-service'],
    [{ namespace: 'production', service: 'product-service' }, 'production/product-service'],
    [
      { destination_workload_namespace: 'production', destination_workload: 'product-service-primary' },
      'production/product-service',
    ],
    [{ namespace: 'production', app: 'product-service-canary' }, 'production/product-service'],
    [{ namespace: 'production', app: 'checkout-api' }, 'production/checkout'],
    [{ namespace: 'production', destination_workload: 'checkout-api-primary' }, 'production/checkout'],
  ])('matches %j to %s', (labels, service) => {
    expect(matchAlert(RULES, SERVICES, labels)).toEqual({ matched: true, service });
  });

  it('takes the first label present: namespace before destination_workload_namespace', () => {
    const labels = { namespace: 'staging', destination_workload_namespace: 'production', canary: 'product-service' };
    expect(matchAlert(RULES, SERVICES, labels)).toEqual({
      matched: false,
      why: 'not-configured',
      namespace: 'staging',
      name: 'product-service',
    });
  });

  it('says which label is missing', () => {
    expect(matchAlert(RULES, SERVICES, { canary: 'x' })).toMatchObject({ why: 'no-label', missing: 'namespace' });
    expect(matchAlert(RULES, SERVICES, { namespace: 'production' })).toMatchObject({ missing: 'canary' });
    expect(matchAlert(RULES, SERVICES, { namespace: ' ', canary: 'x' })).toMatchObject({ missing: 'namespace' });
  });

  it('uses configured label rules', () => {
    const rules = alertsSchema.parse({ labels: { namespace: ['kube_namespace'], canary: ['workload'] } }).labels;
    expect(matchAlert(rules, SERVICES, { kube_namespace: 'production', workload: 'checkout-api' })).toEqual({
      matched: true,
      service: 'production/checkout',
    });
    expect(matchAlert(rules, SERVICES, { namespace: 'production', canary: 'checkout-api' }).matched).toBe(false);
  });

  it('never throws and never matches a service outside the configuration', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('namespace', 'canary', 'app', 'x', 'service'), fc.string()),
        (labels) => {
          const match = matchAlert(RULES, SERVICES, labels);
          if (match.matched) expect(SERVICES.has(match.service)).toBe(true);
        },
      ),
    );
  });
});

describe('rollsBackOnItsOwn', () => {
  const policy = { alertnames: ['CanaryDown'], severities: ['critical'] };
  it('rolls back for a listed name or severity, and nothing else', () => {
    expect(rollsBackOnItsOwn(policy, { name: 'CanaryDown' })).toBe(true);
    expect(rollsBackOnItsOwn(policy, { name: 'X', severity: 'critical' })).toBe(true);
    expect(rollsBackOnItsOwn(policy, { name: 'X', severity: 'warning' })).toBe(false);
    expect(rollsBackOnItsOwn(policy, { name: 'X' })).toBe(false);
  });
});
