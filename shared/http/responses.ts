import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ReleaseBotError } from '../domain/errors';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** Every answer is a sentence: Flagger shows it in its events, and a person reads it in curl. */
export const text = (statusCode: number, body: string): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: body.endsWith('\n') ? body : `${body}\n`,
});

/** A JSON answer, where Slack expects one (a slash command's reply, a dialog's errors, a URL challenge). */
export const json = (statusCode: number, value: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(value),
});

export function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

export function rawBody(event: { body?: string | null; isBase64Encoded?: boolean }): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** A coded error as HTTP: its status (`statusCode`, the one mapping) and its sentence. */
export const errorResponse = (error: ReleaseBotError): HttpResult => text(error.statusCode, error.message);
