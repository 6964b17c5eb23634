import { field, list, text } from '../domain/untyped';
import { isClusterFailure } from '../ports/cluster';
import { failure, noCluster, type StepContext, type StepOutcome } from './runbook-step-context';

type What = 'canary' | 'virtualservice' | 'destinationrules' | 'deployments';

/** A nested object as compact JSON, cut short: a traffic policy can be long. */
const brief = (value: unknown, limit = 160): string => {
  const json = JSON.stringify(value) ?? 'none';
  return json.length <= limit ? json : `${json.slice(0, limit)}…`;
};

/** Routes of the VirtualService's HTTP rules: `host[/subset] weight` each, rule by rule. */
export function describeRoutes(virtualService: unknown): string {
  const rules = list(field(field(virtualService, 'spec'), 'http'));
  if (rules.length === 0) return 'no HTTP routes';
  return rules
    .map((rule, i) => {
      const routes = list(field(rule, 'route')).map((route) => {
        const destination = field(route, 'destination');
        const host = text(field(destination, 'host')) ?? '?';
        const subset = text(field(destination, 'subset'));
        return `${host}${subset ? `/${subset}` : ''} ${text(field(route, 'weight')) ?? '(no weight)'}`;
      });
      const name = text(field(rule, 'name'));
      return `rule ${name ?? i + 1}: ${routes.length > 0 ? routes.join(', ') : 'no routes'}`;
    })
    .join('; ');
}

/** A DestinationRule's host and traffic policy (load balancing, outlier detection), plainly. */
export function describeDestinationRule(rule: unknown): string {
  const name = text(field(field(rule, 'metadata'), 'name')) ?? '?';
  const spec = field(rule, 'spec');
  const subsets = list(field(spec, 'subsets'))
    .map((s) => text(field(s, 'name')))
    .filter((s): s is string => s !== undefined);
  const policy = field(spec, 'trafficPolicy');
  return [
    `DestinationRule ${name}: host ${text(field(spec, 'host')) ?? '?'}`,
    subsets.length > 0 ? `subsets ${subsets.join(', ')}` : undefined,
    `traffic policy ${policy === undefined ? 'none' : brief(policy)}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Plain facts about the release's objects: read-only, so a dry run does the same. */
export async function inspect(ctx: StepContext, what: What): Promise<StepOutcome> {
  const cluster = ctx.cluster;
  if (!cluster) return noCluster(ctx);
  const { namespace, service, canary, primary } = ctx.names;
  switch (what) {
    case 'canary': {
      const state = await cluster.canaryState(namespace, service);
      if (isClusterFailure(state)) return failure(state);
      const facts = [
        `phase ${state.phase ?? 'unknown'}`,
        `canary weight ${state.canaryWeight ?? 0}`,
        `${state.failedChecks ?? 0} failed checks`,
        ...(state.iterations !== undefined ? [`iteration ${state.iterations}`] : []),
      ];
      return { status: 'ok', detail: `Canary ${service}: ${facts.join(', ')}` };
    }
    case 'virtualservice': {
      const vs = await cluster.read({ kind: 'VirtualService', namespace, name: service });
      if (isClusterFailure(vs)) return failure(vs);
      return { status: 'ok', detail: `VirtualService ${service}: ${describeRoutes(vs)}` };
    }
    case 'destinationrules': {
      const rules = await cluster.listDestinationRules(namespace, service);
      if (isClusterFailure(rules)) return failure(rules);
      if (rules.length === 0) return { status: 'ok', detail: `no DestinationRule in ${namespace} names ${service}` };
      return { status: 'ok', detail: rules.map(describeDestinationRule).join('; ') };
    }
    case 'deployments': {
      const facts: string[] = [];
      for (const name of [primary, canary]) {
        const state = await cluster.deploymentState(namespace, name);
        facts.push(
          isClusterFailure(state)
            ? `${name}: ${state.error}`
            : `${name}: ${state.readyReplicas}/${state.replicas} ready, ${state.updatedReplicas} updated, ${state.availableReplicas} available`,
        );
      }
      return { status: 'ok', detail: `Deployments ${facts.join('; ')}` };
    }
  }
}
