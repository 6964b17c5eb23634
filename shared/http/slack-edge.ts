import { verifySlackRequest } from '@slack/bolt';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import {
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
} from '../domain/errors';
import { ACTIONS, REJECT_VIEW } from '../slack/blocks';
import { type HttpResult, header, json, rawBody, text } from './responses';

export const MAX_SLACK_BODY = 256 * 1024;

/** What the listeners handle; everything else is answered here, at once, without Bolt. */
export interface SlackRoutes {
  command: string;
  actions: readonly string[];
  views: readonly string[];
}
export const SLACK_ROUTES: SlackRoutes = { command: '/canary', actions: Object.values(ACTIONS), views: [REJECT_VIEW] };

/** Which kind of answer Slack expects, so a failure can be answered in that kind. */
export type SlackKind = 'command' | 'action' | 'view';
export interface ForBolt {
  event: APIGatewayProxyEventV2;
  kind: SlackKind;
}

/**
 * Checks a Slack request before Bolt sees it: size, signature (HMAC over the raw body, at most 5 minutes old), and
 * the payload's shape; what is wrong is thrown as a coded error (405, 413, 401, 415, 400) with its sentence. Bolt answers what it cannot handle with an empty 401, 404 or 500, and reads fields the
 * listeners rely on (`user.id`) without checking them; here every request gets a sentence, payloads nobody listens
 * to are answered 200 at once, and Bolt gets only validated bodies, as JSON.
 */
export function checkSlackRequest(
  event: APIGatewayProxyEventV2,
  signingSecret: string,
  now: Date,
  routes: SlackRoutes = SLACK_ROUTES,
): ForBolt | HttpResult {
  if (event.requestContext?.http?.method !== 'POST') throw new MethodNotAllowedError('Slack sends POST requests.');
  const body = rawBody(event);
  if (Buffer.byteLength(body) > MAX_SLACK_BODY)
    throw new PayloadTooLargeError(`The request is larger than ${MAX_SLACK_BODY} bytes.`);
  checkSignature(event, body, signingSecret, now);
  const contentType = (header(event.headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const parsed = parse(body, contentType);
  if (parsed === 'unsupported') throw new UnsupportedMediaTypeError(NEITHER_FORM_NOR_JSON);
  if (parsed === undefined) throw new BadRequestError(NEITHER_FORM_NOR_JSON);
  const routed =
    parsed instanceof URLSearchParams
      ? routeForm(parsed, routes)
      : 'form' in parsed
        ? routeInteractive(parsed.form, routes)
        : routeEvent(parsed.json);
  if ('statusCode' in routed) return routed;
  return {
    kind: routed.kind,
    event: {
      ...event,
      body: JSON.stringify(routed.body),
      isBase64Encoded: false,
      headers: { ...lowerCased(event.headers), 'content-type': 'application/json' },
    },
  };
}

function checkSignature(event: APIGatewayProxyEventV2, body: string, signingSecret: string, now: Date): void {
  const signature = header(event.headers, 'x-slack-signature') ?? '';
  const timestamp = Number(header(event.headers, 'x-slack-request-timestamp'));
  if (!signature || !Number.isFinite(timestamp))
    throw new UnauthenticatedError('Missing X-Slack-Signature or X-Slack-Request-Timestamp.');
  if (Math.abs(now.getTime() / 1000 - timestamp) > 300)
    throw new UnauthenticatedError('The request timestamp is more than 5 minutes away from now.');
  try {
    verifySlackRequest({
      signingSecret,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: now.getTime(),
      logger: quiet,
    });
  } catch {
    throw new UnauthenticatedError('The Slack signature does not match: check SLACK_SIGNING_SECRET.');
  }
}

type Parsed = URLSearchParams | { form: unknown } | { json: unknown };

const NEITHER_FORM_NOR_JSON = 'The body is neither a Slack form post nor JSON.';

/**
 * A form post (slash command, or an interactive `payload=`), or a JSON body (Events API); `undefined` when the body
 * does not parse as its content type says, `'unsupported'` when the content type is neither.
 */
function parse(body: string, contentType: string): Parsed | 'unsupported' | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(body);
      const payload = form.get('payload');
      return payload === null ? form : { form: JSON.parse(payload) };
    }
    if (contentType === 'application/json') return { json: JSON.parse(body) };
  } catch {
    return undefined;
  }
  return 'unsupported';
}

type Route = HttpResult | { kind: SlackKind; body: unknown };

/** Slack IDs: upper-case letters and digits (U…, W…, C…, D…, G…, T…). */
const slackId = z.string().regex(/^[A-Z0-9]{2,40}$/, 'must be a Slack ID');
const user = z.looseObject({ id: slackId }, { error: 'the payload has no user' });

const commandSchema = z.looseObject({
  command: z.string().max(64),
  user_id: slackId,
  channel_id: slackId,
  text: z.string().default(''),
});

/** Slash commands; Slack always sends each field once, so a repeated one is a forgery or a bug. */
function routeForm(form: URLSearchParams, routes: SlackRoutes): Route {
  if (form.has('ssl_check')) return text(200, 'ok');
  if (!form.has('command'))
    throw new BadRequestError(
      'The form is neither a slash command nor an interactive payload (no command, no payload).',
    );
  const repeated = [...new Set(form.keys())].filter((key) => form.getAll(key).length > 1);
  if (repeated.length) throw new BadRequestError(`The slash command repeats ${repeated.join(', ')}.`);
  const parsed = commandSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new BadRequestError(`The slash command is malformed (${problems(parsed.error)}).`);
  if (parsed.data.command !== routes.command) {
    return json(200, { response_type: 'ephemeral', text: `release-bot answers ${routes.command} only.` });
  }
  return { kind: 'command', body: parsed.data };
}

const blockActions = z.looseObject({
  user,
  actions: z
    .array(z.looseObject({ action_id: z.string().max(255), value: z.string().optional() }))
    .min(1, 'a click has actions'),
  channel: z.looseObject({ id: slackId }).nullish(),
  trigger_id: z.string().max(255).optional(),
});
const inputValues = z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullish() })));
const viewSubmission = z.looseObject({
  user,
  view: z.looseObject(
    {
      callback_id: z.string().max(255),
      private_metadata: z.string().max(3000).default(''),
      state: z.looseObject({ values: inputValues }),
    },
    { error: 'the payload has no view' },
  ),
});

/** Interactive payloads (`payload=` form posts): buttons, dialogs, shortcuts. */
function routeInteractive(payload: unknown, routes: SlackRoutes): Route {
  const type = typeOf(payload);
  if (type === undefined) throw new BadRequestError('The interactive payload is not a JSON object with a type.');
  switch (type) {
    case 'block_actions': {
      const parsed = blockActions.safeParse(payload);
      if (!parsed.success)
        throw new BadRequestError(`The block_actions payload is malformed (${problems(parsed.error)}).`);
      // Bolt routes on the first action only.
      if (!routes.actions.includes(parsed.data.actions[0]?.action_id ?? ''))
        return text(200, 'release-bot has no listener for this button.');
      return { kind: 'action', body: parsed.data };
    }
    case 'view_submission': {
      const parsed = viewSubmission.safeParse(payload);
      if (!parsed.success)
        throw new BadRequestError(`The view_submission payload is malformed (${problems(parsed.error)}).`);
      // Not ours: close it, since an empty body is not an answer and any other text would be an error to Slack.
      if (!routes.views.includes(parsed.data.view.callback_id)) return json(200, { response_action: 'clear' });
      return { kind: 'view', body: parsed.data };
    }
    case 'view_closed':
      return text(200, 'ok');
    case 'block_suggestion':
      return json(200, { options: [] });
    case 'shortcut':
    case 'message_action':
      return text(200, 'release-bot has no shortcuts: use /canary help.');
    default:
      return text(200, `release-bot does not handle ${bound(type)} payloads.`);
  }
}

/** Events API bodies: release-bot subscribes to no events, but Slack checks the URL and may send some. */
function routeEvent(body: unknown): Route {
  const type = typeOf(body);
  if (type === undefined) throw new BadRequestError('The JSON body is not an Events API object with a type.');
  if (type === 'url_verification') {
    const challenge = (body as { challenge?: unknown }).challenge;
    if (typeof challenge !== 'string') throw new BadRequestError('The url_verification has no challenge.');
    return json(200, { challenge });
  }
  return text(200, 'ok');
}

function typeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && type.length > 0 ? type : undefined;
}

const problems = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
const bound = (value: string) => (value.length > 64 ? `${value.slice(0, 64)}…` : value);
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
