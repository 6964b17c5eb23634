import { bounded } from './bounds';

/**
 * One Alertmanager alert as the bot keeps it: what names it (`fingerprint`, and `startsAt` for one firing of it),
 * what matched it to a release, and a bounded copy of the rest as evidence. Built at the edge from a validated
 * payload; never carries chat markup (presenters escape `summary`).
 */
export interface AlertFacts {
  fingerprint: string;
  name: string;
  status: 'firing' | 'resolved';
  severity?: string;
  /** ISO timestamps; `endsAt` only once resolved (Alertmanager sends Go's zero time while firing). */
  startsAt: string;
  endsAt?: string;
  summary?: string;
  /** Prometheus's link to the expression, when the rule's server sends one. */
  generatorURL?: string;
  /** The alert's labels, bounded: at most ALERT_LIMITS.labels, each name and value cut. */
  labels: Record<string, string>;
}

export const ALERT_LIMITS = {
  labels: 30,
  labelName: 100,
  labelValue: 300,
  summary: 500,
  url: 1000,
  /** Alerts handled from one notification; the rest are answered as refused (Alertmanager groups them). */
  perNotification: 100,
} as const;

/** An alert cut to its limits, so no stored item or message grows with what Alertmanager sends. */
export function boundedAlert(alert: AlertFacts): AlertFacts {
  const labels = Object.fromEntries(
    Object.entries(alert.labels)
      .slice(0, ALERT_LIMITS.labels)
      .map(([k, v]) => [k.slice(0, ALERT_LIMITS.labelName), bounded(v, ALERT_LIMITS.labelValue)]),
  );
  const cut: AlertFacts = { ...alert, name: bounded(alert.name, 200), labels };
  if (alert.summary !== undefined) cut.summary = bounded(alert.summary, ALERT_LIMITS.summary);
  if (alert.generatorURL !== undefined) {
    if (alert.generatorURL.length > ALERT_LIMITS.url) delete cut.generatorURL;
  }
  return cut;
}

/** One firing of one alert: repeats (`repeat_interval`) and HA twins share it; a new firing has a new `startsAt`. */
export const alertKey = (alert: Pick<AlertFacts, 'fingerprint' | 'startsAt'>): string =>
  `${alert.fingerprint}@${alert.startsAt}`;
