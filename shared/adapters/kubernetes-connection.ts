import type { EksAccessOptions } from './eks-token';
import { type Failure, messageOf, tokenOrThrow } from './kubernetes-failures';

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
  /** deadline for one write with all its retries (409, 429, 5xx, no answer), default 5 s */
  writeDeadlineMs?: number;
  /** deadline for one runbook read with its retries, default the request deadline (one try) */
  readDeadlineMs?: number;
};

type Api = InstanceType<ClientNode['CustomObjectsApi']>;
export type CallOptions = Parameters<Api['getNamespacedCustomObject']>[1];

export interface Connection {
  server: string;
  /** CustomObjectsApi serves any group's /apis paths, apps/v1 Deployments included */
  api: Api;
  /** per request: a deadline, the bot's token (EKS), and the patch's Content-Type */
  callOptions: (request?: { timeoutMs?: number; contentType?: string }) => CallOptions;
  /** an exception of client-node as a Failure (ApiException: status, body, Retry-After) */
  failureOf: (error: unknown) => Failure;
}

export function describeTarget(options: KubernetesClusterOptions): string {
  return 'kubeconfigFile' in options
    ? `kubernetes ${options.kubeconfigFile}${options.context ? ` (context ${options.context})` : ''}`
    : 'server' in options
      ? `kubernetes ${options.server}`
      : `eks ${options.eks.name} (${options.eks.region})`;
}

export async function buildConnection(options: KubernetesClusterOptions, timeoutMs: number): Promise<Connection> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  let token: (() => Promise<string>) | undefined;
  if ('kubeconfigFile' in options) {
    kc.loadFromFile(options.kubeconfigFile);
    if (options.context) {
      if (!kc.getContextObject(options.context)) {
        throw new Error(`context "${options.context}" is not in ${options.kubeconfigFile}`);
      }
      kc.setCurrentContext(options.context);
    }
  } else {
    const parts = 'eks' in options ? await (await import('./eks-token')).eksClusterAccess(options.eks) : options;
    kc.loadFromClusterAndUser(
      { name: 'cluster', server: parts.server, caData: parts.caData, skipTLSVerify: false },
      { name: 'release-bot' },
    );
    token = parts.token;
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig names no current cluster');
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  // client-node's ObjectParam API takes observable middleware; `pre` runs after the request is built, so it can
  // replace the Content-Type (client-node sends patches as JSON patch unless told otherwise).
  const middlewareFor = (request: { timeoutMs?: number; contentType?: string }) => ({
    pre: (context: Parameters<typeof kc.applySecurityAuthentication>[0]) =>
      new k8s.Observable(
        (async () => {
          context.setSignal(AbortSignal.timeout(Math.max(1, request.timeoutMs ?? timeoutMs)));
          if (request.contentType) context.setHeaderParam('Content-Type', request.contentType);
          if (token) context.setHeaderParam('Authorization', `Bearer ${await tokenOrThrow(token)}`);
          return context;
        })(),
      ),
    post: <T>(response: T) => new k8s.Observable(Promise.resolve(response)),
  });
  return {
    server,
    api,
    callOptions: (request = {}) => ({ middleware: [middlewareFor(request)], middlewareMergeStrategy: 'append' }),
    failureOf: (error) =>
      error instanceof k8s.ApiException
        ? { status: error.code, body: error.body, retryAfter: headerOf(error.headers, 'retry-after') }
        : { error },
  };
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
