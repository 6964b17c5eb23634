import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  BadRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthenticatedError,
} from '../domain/errors';
import { type HookCall, isHookType, PHASES, serviceId } from '../domain/flagger';
import { rawBody } from './responses';

export const MAX_FLAGGER_BODY = 64 * 1024;

const name = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes name');
const payloadSchema = z.object({
  name,
  namespace: name.max(63),
  phase: z.enum(PHASES),
  // Older Flagger versions send no checksum.
  checksum: z.string().max(256).default(''),
  metadata: z.record(z.string(), z.string()).nullish(),
});

/**
 * Turns an API Gateway event into a validated hook call, or throws the coded error that says what is wrong with it
 * (answered with its status and sentence, nothing read or written). The hook type comes from the URL because
 * Flagger's payload has none; the token comes from `metadata.token` (Flagger cannot send headers) or `?token=`
 * (the global event webhook has no metadata). `expectedTokens`: every token valid now (two during a rotation).
 */
export function readHookCall(event: APIGatewayProxyEventV2, expectedTokens: readonly string[], now: Date): HookCall {
  const hook = hookOf(event.rawPath ?? '');
  if (!isHookType(hook))
    throw new NotFoundError(
      `Unknown Flagger hook "${shown(hook)}". Use /flagger/<type> with one of the eight webhook types.`,
    );
  if (event.requestContext?.http?.method !== 'POST')
    throw new MethodNotAllowedError('Flagger webhooks are POST requests.');
  const body = rawBody(event);
  if (Buffer.byteLength(body) > MAX_FLAGGER_BODY)
    throw new PayloadTooLargeError(`The payload is larger than ${MAX_FLAGGER_BODY} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadRequestError(
      'The body is not JSON. Flagger sends {"name", "namespace", "phase", "checksum", "metadata"}.',
    );
  }
  const token = tokenOf(json) ?? event.queryStringParameters?.token;
  if (!token || !expectedTokens.some((expected) => sameSecret(token, expected))) {
    throw new UnauthenticatedError(
      'Missing or wrong token: set metadata.token on the Canary webhook to the FLAGGER_WEBHOOK_TOKEN value.',
    );
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new BadRequestError(`The payload is not a Flagger webhook payload (${problems}).`);
  }
  const { token: _secret, ...metadata } = parsed.data.metadata ?? {};
  return {
    hook,
    service: serviceId(parsed.data.namespace, parsed.data.name),
    phase: parsed.data.phase,
    checksum: parsed.data.checksum,
    metadata,
    receivedAt: now,
  };
}

/** The hook type from `/flagger/<type>`, percent-decoded as API Gateway leaves it encoded. */
function hookOf(path: string): string {
  const segment = /^\/flagger\/([^/]+)\/?$/.exec(path)?.[1] ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`The path ${shown(path)} is not valid percent-encoding.`);
  }
}

/** Echoed text stays short: the answer is for a person, not a mirror. */
const shown = (value: string) => (value.length > 64 ? `${value.slice(0, 64)}…` : value);

function tokenOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const metadata = (json as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const token = (metadata as { token?: unknown }).token;
  return typeof token === 'string' ? token : undefined;
}

/** Constant-time comparison that does not leak the secret's length either. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return expected.length > 0 && timingSafeEqual(digest(given), digest(expected));
}
