import { verifySlackRequest } from '@slack/bolt';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpResult, header, rawBody, text } from './responses';

export const MAX_SLACK_BODY = 256 * 1024;

/**
 * Checks a Slack request before Bolt sees it: size, signature (HMAC over the raw body, at most 5 minutes old),
 * and that the body parses. Bolt's own receiver answers such failures with an empty 401 or a 500; we answer with
 * a sentence, and hand Bolt a normalised event (decoded body, plain content type).
 */
export function checkSlackRequest(
  event: APIGatewayProxyEventV2,
  signingSecret: string,
  now: Date,
): { event: APIGatewayProxyEventV2 } | HttpResult {
  if (event.requestContext?.http?.method !== 'POST') return text(405, 'Slack sends POST requests.');
  const body = rawBody(event);
  if (Buffer.byteLength(body) > MAX_SLACK_BODY) return text(413, `The request is larger than ${MAX_SLACK_BODY} bytes.`);
  const signature = header(event.headers, 'x-slack-signature') ?? '';
  const timestamp = Number(header(event.headers, 'x-slack-request-timestamp'));
  if (!signature || !Number.isFinite(timestamp))
    return text(401, 'Missing X-Slack-Signature or X-Slack-Request-Timestamp.');
  if (Math.abs(now.getTime() / 1000 - timestamp) > 300)
    return text(401, 'The request timestamp is more than 5 minutes away from now.');
  try {
    verifySlackRequest({
      signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: now.getTime(),
      logger: quiet,
    });
  } catch {
    return text(401, 'The Slack signature does not match: check SLACK_SIGNING_SECRET.');
  }
  const contentType = (header(event.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!parses(body, contentType)) return text(400, 'The body is neither a Slack form post nor JSON.');
  return {
    event: {
      ...event,
      body,
      isBase64Encoded: false,
      headers: { ...lowerCased(event.headers), 'content-type': contentType },
    },
  };
}

function parses(body: string, contentType: string): boolean {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const payload = new URLSearchParams(body).get('payload');
      if (payload !== null) return isObject(JSON.parse(payload));
      return true;
    }
    if (contentType === 'application/json') return isObject(JSON.parse(body));
  } catch {
    return false;
  }
  return false;
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
const lowerCased = (headers: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
const noop = () => {};
const quiet = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => 'error',
  setName: noop,
} as never;
