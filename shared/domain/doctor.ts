/** `/canary doctor`'s vocabulary: each check is a line a person reads, with what to change when it is not a pass. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  status: CheckStatus;
  /** What was checked, e.g. "rollback webhook". */
  subject: string;
  /** What was found, in plain words. */
  found: string;
  /** What to change; absent on a pass. */
  fix?: string;
}

export interface DoctorReport {
  service: string;
  cluster: string;
  checks: Check[];
}

export const pass = (subject: string, found: string): Check => ({ status: 'pass', subject, found });
export const warn = (subject: string, found: string, fix: string): Check => ({ status: 'warn', subject, found, fix });
export const fail = (subject: string, found: string, fix: string): Check => ({ status: 'fail', subject, found, fix });

/** The worst status of a report: what a banner line or a summary shows. */
export function verdict(checks: readonly Check[]): CheckStatus {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  return checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

/** A URL as it may be shown: scheme, host and path, never its query (a `?token=`) or credentials; bounded. */
export function shownUrl(url: string): string {
  if (!URL.canParse(url)) return url.length > 80 ? `${url.slice(0, 80)}…` : url;
  const { protocol, host, pathname } = new URL(url);
  const shown = `${protocol}//${host}${pathname}`;
  return shown.length > 120 ? `${shown.slice(0, 120)}…` : shown;
}
