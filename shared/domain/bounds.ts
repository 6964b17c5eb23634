/**
 * Every text that arrives from outside (Flagger event messages, reasons people type, webhook metadata) is cut to a
 * fixed size before it is stored, so no record grows with its input and every item stays far below DynamoDB's
 * 400 KB. A cut text says so, so nobody mistakes it for the whole.
 */
export const TEXT_LIMITS = {
  /** A reject, pause or rollback reason (Slack's reason dialog allows 500). */
  reason: 500,
  /** One Flagger event message on the timeline. */
  eventMessage: 300,
  /** The deployer named in webhook metadata. */
  deployer: 64,
  /** The detail of one audit entry. */
  auditDetail: 1000,
  /** The evidence copied into an audit entry. */
  evidence: 2000,
} as const;

export function bounded(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters cut)`;
}
