import type { KubeClient } from './kube';

/** The objects of one Flagger Canary as the scenarios read and change them, through the admin client. */

export interface CanaryStatus {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
}

export interface Routes {
  primary: number;
  canary: number;
  /**
   * A/B testing only: the weights of the route for requests matching the analysis's `match` (Flagger puts it
   * first); `primary`/`canary` are then the default route's, which every other request takes.
   */
  matched?: { primary: number; canary: number };
}

export interface HttpRoute {
  match?: unknown[];
  route?: { destination: { host: string }; weight?: number }[];
}

interface DeploymentObject {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
}

interface VirtualServiceObject {
  spec?: { http?: HttpRoute[] };
}

/**
 * The weights of one http route of the VirtualService `<name>` as Istio routes: a route with a single destination
 * sends it everything, whatever its weight says (Flagger's A/B default route names the primary with weight 0 while
 * the matched requests go to the canary).
 */
export function routeWeights(http: HttpRoute | undefined, name: string): { primary: number; canary: number } {
  const route = http?.route ?? [];
  const weightOf = (host: string) =>
    route
      .filter((r) => r.destination.host.split('.')[0] === host)
      .reduce((sum, r) => sum + (route.length === 1 ? 100 : (r.weight ?? 0)), 0);
  return { primary: weightOf(`${name}-primary`), canary: weightOf(`${name}-canary`) };
}

/**
 * Live weights of the VirtualService Flagger manages, as Istio would route: its default route (the last one), and
 * with A/B testing also the matched route (the first).
 */
export async function readRoutes(admin: KubeClient, namespace: string, name: string): Promise<Routes> {
  const vs = await admin.get<VirtualServiceObject>(
    `/apis/networking.istio.io/v1beta1/namespaces/${namespace}/virtualservices/${name}`,
  );
  const http = vs.spec?.http ?? [];
  const routes: Routes = routeWeights(http.at(-1), name);
  if (http.length > 1) routes.matched = routeWeights(http[0], name);
  return routes;
}

function deployment(admin: KubeClient, namespace: string, name: string): Promise<DeploymentObject> {
  return admin.get<DeploymentObject>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
}

export async function readImage(admin: KubeClient, namespace: string, name: string): Promise<string | undefined> {
  return (await deployment(admin, namespace, name)).spec.template.spec.containers[0]?.image;
}

export async function readReplicas(admin: KubeClient, namespace: string, name: string): Promise<number> {
  return (await deployment(admin, namespace, name)).spec.replicas ?? 1;
}

/**
 * A new revision: `kubectl set image` on the target Deployment (a strategic merge patch of the container's
 * image). Only the image changes: re-applying the whole manifest would also set `replicas` again and scale up
 * the canary that Flagger keeps at 0 between releases.
 */
export async function setImage(admin: KubeClient, namespace: string, name: string, image: string): Promise<void> {
  await admin.call(
    'PATCH',
    `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
    { spec: { template: { spec: { containers: [{ name, image }] } } } },
    'application/strategic-merge-patch+json',
  );
}
