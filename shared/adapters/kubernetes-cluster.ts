import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import type { TrafficSplit } from '../domain/snapshot';
import type { Cluster } from '../ports/cluster';
import type { EksAccessOptions } from './eks-token';

/*
 * @kubernetes/client-node 2.x is ESM-only and weighs ~2 MB with its undici: it is loaded at the first call, never at
 * import, so a process that never asks a cluster (the Flagger function) never loads it. The repository compiles
 * TypeScript as CommonJS, so this `import()` becomes `require()`, which loads ES modules natively from Node 22.12
 * (checked on 22.23: no top-level await in client-node's graph). Jest's own CommonJS runtime cannot load it: tests
 * run this adapter in a child process (test/adapters/kubernetes-cluster.test.ts, test/e2e/rbac.test.ts).
 */
type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: Promise<ClientNode> | undefined;
function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node').catch((error: unknown) => {
    clientNode = undefined;
    throw new Error(`cannot load @kubernetes/client-node (needs Node >= 22.12): ${messageOf(error)}`);
  });
  return clientNode;
}

/** Flagger's router reads and writes VirtualServices at networking.istio.io/v1beta1 (pkg/router/istio.go). */
export const VIRTUAL_SERVICE = { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' } as const;

export type KubernetesClusterOptions = (
  | {
      /** a kubeconfig file (local runs, tests); client certificates, tokens and exec plugins as kubectl reads them */
      kubeconfigFile: string;
      context?: string;
    }
  | {
      /** an apiserver given by parts (EKS from DescribeCluster); `token` is asked before every request */
      server: string;
      /** base64 PEM, as kubeconfig's certificate-authority-data */
      caData: string;
      token: () => Promise<string>;
    }
  | {
      /** an EKS cluster: DescribeCluster at the first call, then a token refreshed every 14 minutes */
      eks: EksAccessOptions;
    }
) & {
  /** deadline for one apiserver request, default 2 s (a snapshot must not keep Slack or Flagger waiting) */
  timeoutMs?: number;
};

interface Connection {
  server: string;
  ApiException: ClientNode['ApiException'];
  api: InstanceType<ClientNode['CustomObjectsApi']>;
  callOptions: () => Parameters<InstanceType<ClientNode['CustomObjectsApi']>['getNamespacedCustomObject']>[1];
}

export class KubernetesCluster implements Cluster {
  readonly description: string;
  private connection?: Promise<Connection>;
  private readonly timeoutMs: number;

  constructor(private readonly options: KubernetesClusterOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.description =
      'kubeconfigFile' in options
        ? `kubernetes ${options.kubeconfigFile}${options.context ? ` (context ${options.context})` : ''}`
        : 'server' in options
          ? `kubernetes ${options.server}`
          : `eks ${options.eks.name} (${options.eks.region})`;
  }

  async trafficSplit(namespace: string, service: string): Promise<TrafficSplit | { error: string }> {
    let connection: Connection;
    try {
      connection = await this.connect();
    } catch (error) {
      return { error: `cannot use cluster ${this.description}: ${messageOf(error)}` };
    }
    const object = `VirtualService ${namespace}/${service}`;
    let virtualService: unknown;
    try {
      virtualService = await connection.api.getNamespacedCustomObject(
        { ...VIRTUAL_SERVICE, namespace, name: service },
        connection.callOptions(),
      );
    } catch (error) {
      const failure = error instanceof connection.ApiException ? { status: error.code, body: error.body } : { error };
      return {
        error: describeFailure(failure, {
          server: connection.server,
          namespace,
          service,
          object,
          timeoutMs: this.timeoutMs,
        }),
      };
    }
    return splitFromVirtualService(virtualService, service, object);
  }

  /** The client, built once; a failure (unreadable kubeconfig, DescribeCluster refused) is retried at the next call. */
  private connect(): Promise<Connection> {
    this.connection ??= this.buildConnection().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async buildConnection(): Promise<Connection> {
    const k8s = await loadClientNode();
    const kc = new k8s.KubeConfig();
    let token: (() => Promise<string>) | undefined;
    if ('kubeconfigFile' in this.options) {
      kc.loadFromFile(this.options.kubeconfigFile);
      if (this.options.context) {
        if (!kc.getContextObject(this.options.context)) {
          throw new Error(`context "${this.options.context}" is not in ${this.options.kubeconfigFile}`);
        }
        kc.setCurrentContext(this.options.context);
      }
    } else {
      const parts =
        'eks' in this.options ? await (await import('./eks-token')).eksClusterAccess(this.options.eks) : this.options;
      kc.loadFromClusterAndUser(
        { name: 'cluster', server: parts.server, caData: parts.caData, skipTLSVerify: false },
        { name: 'release-bot' },
      );
      token = parts.token;
    }
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig names no current cluster');
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const timeoutMs = this.timeoutMs;
    // Per request: a deadline, and (EKS) a fresh bearer token. client-node's ObjectParam API takes observable middleware.
    const middleware = {
      pre: (context: Parameters<typeof kc.applySecurityAuthentication>[0]) =>
        new k8s.Observable(
          (async () => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            if (token) context.setHeaderParam('Authorization', `Bearer ${await tokenOrThrow(token)}`);
            return context;
          })(),
        ),
      post: <T>(response: T) => new k8s.Observable(Promise.resolve(response)),
    };
    return {
      server,
      ApiException: k8s.ApiException,
      api,
      callOptions: () => ({ middleware: [middleware], middlewareMergeStrategy: 'append' }),
    };
  }
}

/** One entry of the configuration's `clusters:` (shared/config/schema.ts). */
export type ClusterEntry = { region: string; name: string } | { kubeconfig: string; context?: string };

/**
 * The adapter for a configured cluster: EKS by region and name (DescribeCluster and tokens at the first call), or a
 * kubeconfig file, relative to `baseDir` (the configuration file's folder). Nothing is loaded or asked until then.
 */
export function kubernetesClusterFor(entry: ClusterEntry, baseDir: string, timeoutMs?: number): KubernetesCluster {
  const deadline = timeoutMs === undefined ? {} : { timeoutMs };
  if ('kubeconfig' in entry) {
    return new KubernetesCluster({
      kubeconfigFile: resolve(baseDir, entry.kubeconfig),
      ...(entry.context ? { context: entry.context } : {}),
      ...deadline,
    });
  }
  return new KubernetesCluster({ eks: { region: entry.region, name: entry.name }, ...deadline });
}

/** Every configured cluster by name; nothing connects until a snapshot asks for a split. */
export function clustersOf(config: {
  file: string;
  clusters: Record<string, ClusterEntry>;
}): Map<string, KubernetesCluster> {
  const baseDir = dirname(config.file);
  return new Map(Object.entries(config.clusters).map(([name, entry]) => [name, kubernetesClusterFor(entry, baseDir)]));
}

class TokenError extends Error {}

async function tokenOrThrow(token: () => Promise<string>): Promise<string> {
  try {
    return await token();
  } catch (error) {
    throw new TokenError(`cannot get a token for the apiserver: ${messageOf(error)}`);
  }
}

// A Kubernetes Status, as the apiserver sends with every error.
const status = z.object({
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z.object({ name: z.string().optional(), kind: z.string().optional() }).optional(),
});

/** An HTTP answer other than 2xx (client-node's ApiException), or anything else that went wrong. */
export type Failure = { status: number; body: unknown } | { error: unknown };

/** Why the read failed, in a sentence that says what to fix. */
export function describeFailure(
  failure: Failure,
  at: { server: string; namespace: string; service: string; object: string; timeoutMs: number },
): string {
  if ('status' in failure) {
    const body = statusOf(failure.body);
    const said = body?.message ? ` (the apiserver said: ${clip(body.message)})` : '';
    switch (failure.status) {
      case 401:
        return `the apiserver at ${at.server} did not accept the bot's credentials (401): for EKS, check the access entry of the bot's IAM role`;
      case 403:
        return (
          `the bot may not read ${at.object} (403 Forbidden): it needs RBAC "get" on virtualservices.networking.istio.io ` +
          `in namespace ${at.namespace}; apply deploy/rbac.yaml (ClusterRole release-bot) with a RoleBinding in ${at.namespace}${said}`
        );
      case 404:
        return body?.reason === 'NotFound' && body.details?.name === at.service
          ? `no ${at.object}: Flagger creates it when it initializes an Istio Canary whose service name is ${at.service}`
          : `the apiserver at ${at.server} does not serve ${VIRTUAL_SERVICE.group}/${VIRTUAL_SERVICE.version} ${VIRTUAL_SERVICE.plural} (are Istio's CRDs installed?)${said}`;
      default:
        return `the apiserver at ${at.server} answered ${failure.status} for ${at.object}${said}`;
    }
  }
  const { error } = failure;
  if (error instanceof TokenError) return error.message;
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `the apiserver at ${at.server} did not answer within ${at.timeoutMs} ms for ${at.object}`;
  }
  if (error instanceof SyntaxError)
    return `the apiserver at ${at.server} sent ${at.object} as something other than JSON`;
  const cause = (error as { cause?: unknown })?.cause;
  return `cannot reach the apiserver at ${at.server}: ${messageOf(cause ?? error)}`;
}

const destination = z.object({
  destination: z.object({ host: z.string() }),
  weight: z.number().int().min(0).optional(),
});
const route = z.object({ match: z.array(z.unknown()).nullish(), route: z.array(destination).nullish() });
const virtualServiceSchema = z.object({
  spec: z.object({ http: z.array(route).nullish(), tcp: z.array(route).nullish() }),
});
type Route = z.infer<typeof route>;

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
  const hosts = { primary: `${service}-primary`, canary: `${service}-canary` };
  const isHost = (host: string, name: string) => host === name || host.startsWith(`${name}.`);
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

function statusOf(body: unknown): z.infer<typeof status> | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body };
    }
  }
  const parsed = status.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
