import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { ALERT_LIMITS, type AlertFacts, boundedAlert } from '../domain/alert';
import { BadRequestError, MethodNotAllowedError, PayloadTooLargeError, UnauthenticatedError } from '../domain/errors';
import { alertSchema, goTime, notificationSchema } from './alertmanager-payload';
import { sameSecret } from './flagger-edge';
import { header, rawBody } from './responses';

export const MAX_ALERTMANAGER_BODY = 1024 * 1024;

/** An alert of the notification the bot will not handle, with why (answered in the 200, so not retried). */
export interface RefusedAlert {
  fingerprint: string;
  reason: string;
}

export interface Notification {
  alerts: AlertFacts[];
  refused: RefusedAlert[];
}

/**
 * Turns an API Gateway event into the alerts of one Alertmanager notification, or throws the coded error that says
 * what is wrong (401, 405, 413, 400: Alertmanager does not retry 4xx). The token is `http_config.authorization`'s
 * Bearer credentials, checked before the body is read. An alert that is not valid on its own is refused in the
 * answer while the others are handled; past ALERT_LIMITS.perNotification, the rest are refused.
 */
export function readNotification(event: APIGatewayProxyEventV2, expectedTokens: readonly string[]): Notification {
  if (event.requestContext?.http?.method !== 'POST')
    throw new MethodNotAllowedError('Alertmanager webhooks are POST requests.');
  const token = /^Bearer\s+(.+)$/i.exec(header(event.headers, 'authorization') ?? '')?.[1]?.trim();
  if (!token || !expectedTokens.some((expected) => sameSecret(token, expected)))
    throw new UnauthenticatedError(
      'Missing or wrong token: set http_config.authorization.credentials of the webhook receiver to the ALERTMANAGER_TOKEN value.',
    );
  const body = rawBody(event);
  if (Buffer.byteLength(body) > MAX_ALERTMANAGER_BODY)
    throw new PayloadTooLargeError(`The payload is larger than ${MAX_ALERTMANAGER_BODY} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadRequestError('The body is not JSON. Alertmanager sends a webhook payload of version 4.');
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success)
    throw new BadRequestError(`The payload is not an Alertmanager webhook payload (${problems(parsed.error)}).`);
  const alerts: AlertFacts[] = [];
  const refused: RefusedAlert[] = [];
  parsed.data.alerts.forEach((raw, index) => {
    const one = alertSchema.safeParse(raw);
    if (!one.success) {
      refused.push({ fingerprint: fingerprintOf(raw), reason: `alerts.${index}: ${problems(one.error)}` });
    } else if (alerts.length >= ALERT_LIMITS.perNotification) {
      refused.push({
        fingerprint: one.data.fingerprint ?? labelHash(one.data.labels),
        reason: `more than ${ALERT_LIMITS.perNotification} alerts in one notification`,
      });
    } else {
      alerts.push(factsOf(one.data));
    }
  });
  if (alerts.length === 0 && refused.length > 0)
    throw new BadRequestError(`No alert of the notification is valid (${refused[0]?.reason}).`);
  return { alerts, refused };
}

function factsOf(alert: z.output<typeof alertSchema>): AlertFacts {
  const startsAt = goTime(alert.startsAt) ?? new Date(0).toISOString();
  const facts: AlertFacts = {
    fingerprint: alert.fingerprint ?? labelHash(alert.labels),
    name: alert.labels.alertname ?? 'unnamed alert',
    status: alert.status,
    startsAt,
    labels: alert.labels,
  };
  const endsAt = alert.status === 'resolved' ? goTime(alert.endsAt) : undefined;
  if (endsAt) facts.endsAt = endsAt;
  if (alert.labels.severity) facts.severity = alert.labels.severity;
  const summary = alert.annotations.summary ?? alert.annotations.description;
  if (summary) facts.summary = summary;
  if (alert.generatorURL) facts.generatorURL = alert.generatorURL;
  return boundedAlert(facts);
}

/** Versions before 0.19 send no fingerprint: one from the labels names the alert as well. */
const labelHash = (labels: Record<string, string>): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))))
    .digest('hex')
    .slice(0, 16);

function fingerprintOf(raw: unknown): string {
  const value = typeof raw === 'object' && raw !== null ? (raw as { fingerprint?: unknown }).fingerprint : undefined;
  return typeof value === 'string' ? value.slice(0, 200) : '';
}

const problems = (error: z.ZodError): string =>
  error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
    .join('; ');
