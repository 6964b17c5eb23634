import type { AlertsConfig } from '../config/alerts';
import type { ServiceId } from './flagger';

/** Just what matching reads of a service's policy: the Canary's target Deployment. */
export interface MatchableService {
  target: string;
}

export type AlertMatch =
  | { matched: true; service: ServiceId }
  | { matched: false; why: 'no-label'; missing: 'namespace' | 'canary' }
  | { matched: false; why: 'not-configured'; namespace: string; name: string };

const SUFFIXES = ['-primary', '-canary'];

/** The value of the first of `names` the alert has (non-empty): the label rules are ordered, the first wins. */
const firstLabel = (labels: Record<string, string>, names: readonly string[]): string | undefined =>
  names.map((n) => labels[n]).find((v): v is string => typeof v === 'string' && v.trim() !== '');

/**
 * The release an alert is about. Istio's `destination_workload` names a Deployment: Flagger's primary is
 * `<target>-primary`, so that suffix (and `-canary`, which some setups use) is stripped, and a service matches by
 * its Canary's name or by its configured `target`. Pure: the configuration is all it reads.
 */
export function matchAlert(
  rules: AlertsConfig['labels'],
  services: ReadonlyMap<ServiceId, MatchableService>,
  labels: Record<string, string>,
): AlertMatch {
  const namespace = firstLabel(labels, rules.namespace);
  if (!namespace) return { matched: false, why: 'no-label', missing: 'namespace' };
  const name = firstLabel(labels, rules.canary);
  if (!name) return { matched: false, why: 'no-label', missing: 'canary' };
  const names = [name, ...SUFFIXES.filter((s) => name.endsWith(s)).map((s) => name.slice(0, -s.length))];
  for (const candidate of names) {
    const id = `${namespace}/${candidate}`;
    if (services.has(id)) return { matched: true, service: id };
    for (const [service, policy] of services) {
      if (service.startsWith(`${namespace}/`) && policy.target === candidate) return { matched: true, service };
    }
  }
  return { matched: false, why: 'not-configured', namespace, name };
}

/** Whether the service's policy rolls back on this alert without asking. */
export const rollsBackOnItsOwn = (
  policy: { alertnames: readonly string[]; severities: readonly string[] },
  alert: { name: string; severity?: string },
): boolean =>
  policy.alertnames.includes(alert.name) ||
  (alert.severity !== undefined && policy.severities.includes(alert.severity));
