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
}

interface DeploymentObject {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
}

interface VirtualServiceObject {
  spec?: { http?: { route?: { destination: { host: string }; weight?: number }[] }[] };
}

/** Live weights of the VirtualService Flagger manages (its default route: the last one), as Istio would route. */
export async function readRoutes(admin: KubeClient, namespace: string, name: string): Promise<Routes> {
  const vs = await admin.get<VirtualServiceObject>(
    `/apis/networking.istio.io/v1beta1/namespaces/${namespace}/virtualservices/${name}`,
  );
  const route = vs.spec?.http?.at(-1)?.route ?? [];
  const weightOf = (host: string) =>
    route.filter((r) => r.destination.host.split('.')[0] === host).reduce((sum, r) => sum + (r.weight ?? 0), 0);
  return { primary: weightOf(`${name}-primary`), canary: weightOf(`${name}-canary`) };
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
