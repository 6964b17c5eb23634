import type { TrafficSplit } from '../domain/snapshot';

/**
 * The Kubernetes cluster a service's Canary runs in, as the bot reads it. Failures come back as `{ error }` with a
 * sentence a person can act on (which RBAC is missing, which object is absent), never as exceptions.
 */
export interface Cluster {
  /**
   * The live weights of Flagger's VirtualService `<service>` in `namespace`: its `<service>-primary` and
   * `<service>-canary` routes, as Flagger itself reads them. `service` is the Canary's apex service name
   * (`spec.service.name`, else `spec.targetRef.name`; usually the Canary's name).
   */
  trafficSplit(namespace: string, service: string): Promise<TrafficSplit | { error: string }>;
}
