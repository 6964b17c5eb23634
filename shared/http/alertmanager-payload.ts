import * as z from 'zod';

/** RFC 3339 as Go writes it: up to nanoseconds, `Z` or an offset. */
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const labels = z.record(z.string(), z.string());

const timestamp = z.string().regex(RFC3339, 'must be an RFC 3339 timestamp such as 2026-12-03T10:00:00.123456789Z');

/** One alert of a v4 notification; unknown fields are kept out of the way, not refused (newer versions add some). */
export const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(200).optional(),
});

/** The webhook envelope (`webhook_configs`, version 4); each alert is validated on its own. */
export const notificationSchema = z.looseObject({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  alerts: z.array(z.unknown()),
});

export type AlertPayload = z.output<typeof alertSchema>;

/**
 * Go's timestamp as an ISO string with milliseconds (JavaScript's precision); undefined for Go's zero time, which
 * Alertmanager sends as the `endsAt` of a firing alert.
 */
export function goTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const parts = RFC3339.exec(text);
  if (!parts) return undefined;
  const fraction = (parts[2] ?? '.000').padEnd(4, '0').slice(0, 4);
  const date = new Date(`${parts[1]}${fraction}${parts[3]}`);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() <= 1) return undefined;
  return date.toISOString();
}
