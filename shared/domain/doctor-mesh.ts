import type { TrafficPolicy } from '../config/traffic';
import { type Check, fail, pass, warn } from './doctor';
import { parseMeshDuration } from './duration';
import { at, field, list, num, text } from './untyped';

/** A cluster read: the object(s), or the sentence the cluster adapter gave for why not. */
export type Read<T> = T | { error: string };
const failed = <T>(read: Read<T>): read is { error: string } =>
  typeof read === 'object' && read !== null && !Array.isArray(read) && 'error' in read;

export interface MeshFacts {
  /** Flagger's apex service name: the Canary's `spec.service.name`, else its name. */
  service: string;
  virtualService: Read<unknown>;
  destinationRules: Read<unknown[]>;
  peerAuthentications: Read<unknown[]>;
}

const sameDuration = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && parseMeshDuration(a) === parseMeshDuration(b);

/** The objects Flagger generates exist, and what they say matches the configured traffic policy. */
export function meshChecks(traffic: TrafficPolicy, facts: MeshFacts): Check[] {
  return [
    ...objectChecks(facts),
    ...routeChecks(traffic, facts),
    outlierCheck(traffic, facts),
    mtlsCheck(traffic, facts),
  ].filter((check): check is Check => check !== undefined);
}

function objectChecks({ service, virtualService, destinationRules }: MeshFacts): Check[] {
  const initialised =
    'Flagger writes it when it initialises the Canary: check the Canary is Initialized and uses Istio';
  const checks = [
    failed(virtualService)
      ? fail(`VirtualService ${service}`, virtualService.error, initialised)
      : pass(`VirtualService ${service}`, 'exists'),
  ];
  for (const name of [`${service}-primary`, `${service}-canary`]) {
    const subject = `DestinationRule ${name}`;
    if (failed(destinationRules)) checks.push(fail(subject, destinationRules.error, initialised));
    else if (destinationRules.some((rule) => text(at(rule, 'metadata', 'name')) === name))
      checks.push(pass(subject, 'exists'));
    else checks.push(fail(subject, 'not found', initialised));
  }
  return checks;
}

/** Timeout and retries of the VirtualService's first HTTP route, where Flagger writes the Canary's. */
function routeChecks(traffic: TrafficPolicy, { virtualService }: MeshFacts): (Check | undefined)[] {
  if (failed(virtualService)) return [];
  const route = list(at(virtualService, 'spec', 'http'))[0];
  const timeout = text(field(route, 'timeout'));
  const attempts = num(at(route, 'retries', 'attempts'));
  const perTry = text(at(route, 'retries', 'perTryTimeout'));
  const checks: (Check | undefined)[] = [];
  if (traffic.timeout !== undefined) {
    checks.push(
      sameDuration(timeout, traffic.timeout)
        ? pass('route timeout', `${timeout}, as configured`)
        : warn(
            'route timeout',
            `${timeout ?? 'none'} on the VirtualService, ${traffic.timeout} in the config`,
            `set spec.service.timeout: ${traffic.timeout} on the Canary (Flagger writes it into the VirtualService), or change the config`,
          ),
    );
  }
  const want = traffic.retries;
  if (want) {
    const same =
      attempts === want.attempts && (want.perTryTimeout === undefined || sameDuration(perTry, want.perTryTimeout));
    const shown = (n: number | undefined, t: string | undefined) =>
      `${n ?? 'no'} attempt${n === 1 ? '' : 's'}${t ? ` of ${t}` : ''}`;
    checks.push(
      same
        ? pass('route retries', `${shown(attempts, perTry)}, as configured`)
        : warn(
            'route retries',
            `${shown(attempts, perTry)} on the VirtualService, ${shown(want.attempts, want.perTryTimeout)} in the config`,
            `set spec.service.retries on the Canary: {attempts: ${want.attempts}${want.perTryTimeout ? `, perTryTimeout: ${want.perTryTimeout}` : ''}}`,
          ),
    );
  }
  return checks;
}

/** Circuit breaking on the primary's DestinationRule (Flagger copies the Canary's trafficPolicy to both). */
function outlierCheck(traffic: TrafficPolicy, { service, destinationRules }: MeshFacts): Check | undefined {
  if (failed(destinationRules)) return undefined;
  const primary = destinationRules.find((rule) => text(at(rule, 'metadata', 'name')) === `${service}-primary`);
  if (!primary) return undefined;
  const live = at(primary, 'spec', 'trafficPolicy', 'outlierDetection');
  const want = traffic.outlierDetection;
  const wanted = `{consecutive5xxErrors: ${want.consecutive5xxErrors}, interval: ${want.interval}, baseEjectionTime: ${want.baseEjectionTime}, maxEjectionPercent: ${want.maxEjectionPercent}}`;
  const fix = `set spec.service.trafficPolicy.outlierDetection on the Canary: ${wanted}`;
  if (live === undefined) return warn('circuit breaking', 'no outlierDetection on the primary DestinationRule', fix);
  const differences = [
    num(field(live, 'consecutive5xxErrors')) === want.consecutive5xxErrors ? undefined : 'consecutive5xxErrors',
    sameDuration(text(field(live, 'interval')), want.interval) ? undefined : 'interval',
    sameDuration(text(field(live, 'baseEjectionTime')), want.baseEjectionTime) ? undefined : 'baseEjectionTime',
    num(field(live, 'maxEjectionPercent')) === want.maxEjectionPercent ? undefined : 'maxEjectionPercent',
  ].filter((name): name is string => name !== undefined);
  const shown = (name: string) => `${name} ${text(field(live, name)) ?? 'unset'}`;
  return differences.length === 0
    ? pass('circuit breaking', `outlier detection as configured: ${wanted}`)
    : warn('circuit breaking', `differs from the config: ${differences.map(shown).join(', ')}`, fix);
}

/** The namespace-wide PeerAuthentication's mode (one without a selector), against the configured one. */
function mtlsCheck(traffic: TrafficPolicy, { peerAuthentications }: MeshFacts): Check {
  const subject = 'mTLS';
  if (failed(peerAuthentications)) {
    return warn(
      subject,
      `PeerAuthentications could not be read: ${peerAuthentications.error}`,
      'grant get and list on peerauthentications (deploy/rbac.yaml)',
    );
  }
  const namespaceWide = peerAuthentications.find((pa) => at(pa, 'spec', 'selector') === undefined);
  const mode = text(at(namespaceWide, 'spec', 'mtls', 'mode'));
  const fix = `apply a PeerAuthentication "default" in the namespace with spec.mtls.mode: ${traffic.mtls}, or change traffic.mtls in the config`;
  if (!namespaceWide) return warn(subject, 'no namespace-wide PeerAuthentication: the mesh-wide default applies', fix);
  return mode === traffic.mtls
    ? pass(subject, `${mode}, as configured`)
    : warn(
        subject,
        `${mode ?? 'UNSET (inherits the mesh default)'} in the namespace, ${traffic.mtls} in the config`,
        fix,
      );
}
