import { Agent, request } from 'node:https';

/**
 * A minimal Kubernetes API client over node:https with a client certificate.
 *
 * Not @kubernetes/client-node: it is ESM-only, and Jest's CommonJS runtime cannot load it (platform notes).
 * The end-to-end tests need only a handful of verbs, and speaking them directly keeps the wire format visible.
 */
export interface KubeCredentials {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${body.slice(0, 500)}`);
    this.name = 'KubeError';
  }
}

/** kind -> [plural, namespaced] for the kinds the tests use. */
const RESOURCES: Record<string, [string, boolean]> = {
  Namespace: ['namespaces', false],
  CustomResourceDefinition: ['customresourcedefinitions', false],
  ClusterRole: ['clusterroles', false],
  ClusterRoleBinding: ['clusterrolebindings', false],
  Role: ['roles', true],
  RoleBinding: ['rolebindings', true],
  Deployment: ['deployments', true],
  Service: ['services', true],
  ConfigMap: ['configmaps', true],
  Canary: ['canaries', true],
  VirtualService: ['virtualservices', true],
  DestinationRule: ['destinationrules', true],
  PeerAuthentication: ['peerauthentications', true],
};

/** The REST path of a kind: `/api/v1/...` for the core group, `/apis/<group>/<version>/...` otherwise. */
export function resourcePath(apiVersion: string, kind: string, namespace?: string, name?: string): string {
  const resource = RESOURCES[kind];
  if (!resource) throw new Error(`kube.ts does not know the plural of ${kind}; add it to RESOURCES`);
  const [plural, namespaced] = resource;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const ns = namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
  return `${base}${ns}/${plural}${name ? `/${name}` : ''}`;
}

export class KubeClient {
  private readonly agent: Agent;

  constructor(readonly credentials: KubeCredentials) {
    this.agent = new Agent({
      ca: credentials.ca,
      cert: credentials.cert,
      key: credentials.key,
      keepAlive: true,
      maxSockets: 8,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  async raw(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.credentials.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }),
          },
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async call<T = KubeObject>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.raw(method, path, body === undefined ? undefined : JSON.stringify(body), contentType);
    if (res.status < 200 || res.status > 299) throw new KubeError(res.status, method, path, res.text);
    return JSON.parse(res.text) as T;
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** GET that answers undefined for 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
  }

  async list<T = KubeObject>(path: string): Promise<T[]> {
    return (await this.get<{ items: T[] }>(path)).items;
  }

  /** Server-side apply (creates or updates), owned by field manager `e2e`. */
  apply<T extends KubeObject>(object: T, fieldManager = 'e2e'): Promise<T> {
    return this.applyText(object, JSON.stringify(object), fieldManager) as Promise<T>;
  }

  /**
   * Server-side apply of a YAML document as written, parsed by the apiserver's own (Go) YAML reader. `object`
   * only names the target. For generated manifests that Go accepts and stricter parsers do not.
   */
  async applyText(object: KubeObject, text: string, fieldManager = 'e2e'): Promise<KubeObject> {
    const { apiVersion, kind, metadata } = object;
    const path = `${resourcePath(apiVersion, kind, metadata.namespace, metadata.name)}?fieldManager=${fieldManager}&force=true`;
    const res = await this.raw('PATCH', path, text, 'application/apply-patch+yaml');
    if (res.status < 200 || res.status > 299) throw new KubeError(res.status, 'PATCH', path, res.text);
    return JSON.parse(res.text) as KubeObject;
  }

  /** JSON merge patch, optionally of a subresource such as `status`. */
  mergePatch<T = KubeObject>(path: string, patch: unknown): Promise<T> {
    return this.call<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /** What the API says this identity may do, e.g. can('get', 'canaries', 'production', 'flagger.app'). */
  async can(verb: string, resource: string, namespace?: string, group = ''): Promise<boolean> {
    const review = await this.call<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) } },
      },
    );
    return review.status.allowed;
  }
}
