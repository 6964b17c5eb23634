import * as z from 'zod';

/** A token callback that failed: its sentence is the answer, not "cannot reach the apiserver". */
export class TokenError extends Error {}

export async function tokenOrThrow(token: () => Promise<string>): Promise<string> {
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
export type Failure = { status: number; body: unknown; retryAfter?: string } | { error: unknown };

/** Flagger's router reads and writes VirtualServices at networking.istio.io/v1beta1 (pkg/router/istio.go). */
export const VIRTUAL_SERVICE = { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' } as const;

/** Why the read of the VirtualService failed, in a sentence that says what to fix. */
export function describeFailure(
  failure: Failure,
  at: { server: string; namespace: string; service: string; object: string; timeoutMs: number },
): string {
  return describe(failure, {
    ...at,
    name: at.service,
    verb: 'get',
    resource: `${VIRTUAL_SERVICE.plural}.${VIRTUAL_SERVICE.group}`,
    served: `${VIRTUAL_SERVICE.group}/${VIRTUAL_SERVICE.version} ${VIRTUAL_SERVICE.plural} (are Istio's CRDs installed?)`,
    absent: `Flagger creates it when it initializes an Istio Canary whose service name is ${at.service}`,
  });
}

export interface FailureContext {
  server: string;
  namespace: string;
  /** e.g. "VirtualService production/web" */
  object: string;
  /** the object's name, to tell "no such object" from "no such resource type" on a 404 */
  name?: string;
  /** the RBAC verb the call needed, e.g. "update" */
  verb: string;
  /** e.g. "virtualservices.networking.istio.io" or "deployments.apps" */
  resource: string;
  /** what the apiserver must serve, for a 404 that is not the object's */
  served: string;
  /** why the object may be missing */
  absent?: string;
  timeoutMs: number;
}

/** Any call's failure in a sentence that says what to fix: for 403, the RBAC verb on the resource. */
export function describe(failure: Failure, at: FailureContext): string {
  if ('status' in failure) {
    const body = statusOf(failure.body);
    const said = body?.message ? ` (the apiserver said: ${clip(body.message)})` : '';
    switch (failure.status) {
      case 401:
        return `the apiserver at ${at.server} did not accept the bot's credentials (401): for EKS, check the access entry of the bot's IAM role`;
      case 403: {
        const action = at.verb === 'get' ? 'read' : at.verb === 'list' ? 'list' : 'change';
        return (
          `the bot may not ${action} ${at.object} (403 Forbidden): it needs RBAC "${at.verb}" on ${at.resource} ` +
          `in namespace ${at.namespace}; apply deploy/rbac.yaml (ClusterRole release-bot) with a RoleBinding in ${at.namespace}${said}`
        );
      }
      case 404:
        return body?.reason === 'NotFound' && at.name !== undefined && body.details?.name === at.name
          ? `no ${at.object}${at.absent ? `: ${at.absent}` : ''}`
          : `the apiserver at ${at.server} does not serve ${at.served}${said}`;
      case 409:
        return `${at.object} kept changing under the bot (409 Conflict) until the deadline: try again${said}`;
      case 422:
        return `the apiserver refused the change to ${at.object} as invalid (422)${said}`;
      case 429:
        return `the apiserver at ${at.server} kept asking the bot to slow down (429) until the deadline${said}`;
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

/** Worth another try: a conflict, throttling, the apiserver's own trouble, or no answer at all (not a bad token). */
export function isRetryable(failure: Failure): boolean {
  if ('status' in failure) return failure.status === 409 || failure.status === 429 || failure.status >= 500;
  return !(failure.error instanceof TokenError) && !(failure.error instanceof SyntaxError);
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

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
