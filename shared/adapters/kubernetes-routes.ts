import * as z from 'zod';
import type { TrafficSplit } from '../domain/snapshot';

const destination = z.object({
  destination: z.object({ host: z.string() }),
  weight: z.number().int().min(0).optional(),
});
const route = z.object({ match: z.array(z.unknown()).nullish(), route: z.array(destination).nullish() });
const virtualServiceSchema = z.object({
  spec: z.object({ http: z.array(route).nullish(), tcp: z.array(route).nullish() }),
});
type Route = z.infer<typeof route>;

const hostsOf = (service: string) => ({ primary: `${service}-primary`, canary: `${service}-canary` });
const isHost = (host: string, name: string) => host === name || host.startsWith(`${name}.`);

/**
 * The live split from Flagger's VirtualService, read the way Flagger's Istio router writes it (v1.44
 * pkg/router/istio.go SetRoutes): the weighted route has destinations `<service>-primary` and `<service>-canary`.
 * Routes with a `match` come first when analysis.match (A/B: header match) or session affinity (cookie match) is set;
 * the traffic everyone else gets is the route without a match, or else the last route naming primary or canary.
 */
export function splitFromVirtualService(
  virtualService: unknown,
  service: string,
  object = `VirtualService ${service}`,
): TrafficSplit | { error: string } {
  const parsed = virtualServiceSchema.safeParse(virtualService);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `${object} is malformed: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unreadable'}` };
  }
  const hosts = hostsOf(service);
  const ours = (r: Route) =>
    (r.route ?? []).some((d) => isHost(d.destination.host, hosts.primary) || isHost(d.destination.host, hosts.canary));
  const { http, tcp } = parsed.data.spec;
  const candidates = (http ?? []).filter(ours);
  if (candidates.length === 0) candidates.push(...(tcp ?? []).filter(ours));
  const chosen = candidates.filter((r) => !r.match || r.match.length === 0).at(-1) ?? candidates.at(-1);
  if (!chosen)
    return { error: `${object} has no route to ${hosts.primary} or ${hosts.canary}: is it managed by Flagger?` };

  const destinations = chosen.route ?? [];
  // Istio: a lone destination without a weight gets all the traffic; otherwise a missing weight is 0.
  const weightOf = (d: (typeof destinations)[number]) => d.weight ?? (destinations.length === 1 ? 100 : 0);
  const sum = (name: string) =>
    destinations.filter((d) => isHost(d.destination.host, name)).reduce((total, d) => total + weightOf(d), 0);
  const split: TrafficSplit = { canary: sum(hosts.canary), primary: sum(hosts.primary), from: 'virtualservice' };
  if (split.canary + split.primary === 0) {
    return { error: `${object} sends no traffic to ${hosts.primary} or ${hosts.canary} (both weights are 0)` };
  }
  return split;
}

type Json = Record<string, unknown>;

/**
 * The VirtualService with the weights set on EVERY http and tcp route that names the primary or the canary, the
 * header-matched (A/B) routes too: a rollback must take the insiders off the canary as well. A route that names only
 * one of them gets that one's destination (Flagger writes lone primary routes in A/B); a route missing the other
 * gets it added only when its weight is not 0, so a rollback never invents a canary destination.
 */
export function withWeights(
  virtualService: Json,
  service: string,
  weights: { primary: number; canary: number },
): { object: Json; routes: number; before: TrafficSplit | undefined } | { error: string } {
  const hosts = hostsOf(service);
  const spec = (virtualService.spec ?? {}) as { http?: unknown; tcp?: unknown };
  const before = splitFromVirtualService(virtualService, service);
  let routes = 0;
  const rewrite = (list: unknown) =>
    Array.isArray(list)
      ? list.map((r: Json) => {
          const destinations = Array.isArray(r?.route) ? (r.route as Json[]) : [];
          const hostOf = (d: Json) => String((d.destination as Json | undefined)?.host ?? '');
          const primary = destinations.find((d) => isHost(hostOf(d), hosts.primary));
          const canary = destinations.find((d) => isHost(hostOf(d), hosts.canary));
          if (!primary && !canary) return r;
          routes++;
          const next = destinations.map((d) =>
            d === primary ? { ...d, weight: weights.primary } : d === canary ? { ...d, weight: weights.canary } : d,
          );
          const domain = hostOf((primary ?? canary) as Json).slice((primary ? hosts.primary : hosts.canary).length);
          if (!primary && weights.primary > 0)
            next.unshift({ destination: { host: `${hosts.primary}${domain}` }, weight: weights.primary });
          if (!canary && weights.canary > 0)
            next.push({ destination: { host: `${hosts.canary}${domain}` }, weight: weights.canary });
          return { ...r, route: next };
        })
      : list;
  const object = { ...virtualService, spec: { ...spec, http: rewrite(spec.http), tcp: rewrite(spec.tcp) } };
  if (spec.http === undefined) delete (object.spec as Json).http;
  if (spec.tcp === undefined) delete (object.spec as Json).tcp;
  if (routes === 0) return { error: `has no route to ${hosts.primary} or ${hosts.canary}: is it managed by Flagger?` };
  return { object, routes, before: 'error' in before ? undefined : before };
}
