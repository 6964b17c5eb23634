import type { KubeObject } from './kube';

/** The objects the scenarios apply, modelled on the design document (shared/seed: "Flagger Canary Resource"). */

export const namespace = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export function deployment(ns: string, name: string, image: string, replicas = 2): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name,
              image,
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  };
}

export const HOOK_TYPES = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'rollback',
  'event',
  'post-rollout',
] as const;

export interface CanaryOptions {
  namespace: string;
  name: string;
  /** the bot's base URL; every hook type gets `<botUrl>/flagger/<type>` */
  botUrl: string;
  token: string;
  interval?: string;
  threshold?: number;
  /** weighted canary: the defaults (10 and 50) apply only when no other strategy field is given */
  stepWeight?: number;
  maxWeight?: number;
  /** weighted canary through these weights (Flagger ignores them when stepWeight is set) */
  stepWeights?: number[];
  /** blue-green (iterations alone) or A/B testing (iterations with `match`) */
  iterations?: number;
  /** A/B testing: the requests that go to the canary during the iterations, as Istio HTTPMatchRequests */
  match?: Record<string, unknown>[];
  /** how much traffic moves back to the primary per check after the promotion (unset: all at once) */
  stepWeightPromotion?: number;
}

/** The analysis's strategy fields: only what is given, or the design document's stepWeight 10 / maxWeight 50. */
function strategyOf(o: CanaryOptions): Record<string, unknown> {
  const given = {
    ...(o.maxWeight !== undefined ? { maxWeight: o.maxWeight } : {}),
    ...(o.stepWeight !== undefined ? { stepWeight: o.stepWeight } : {}),
    ...(o.stepWeights ? { stepWeights: o.stepWeights } : {}),
    ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
    ...(o.match ? { match: o.match } : {}),
    ...(o.stepWeightPromotion !== undefined ? { stepWeightPromotion: o.stepWeightPromotion } : {}),
  };
  return Object.keys(given).length > 0 ? given : { maxWeight: 50, stepWeight: 10 };
}

/**
 * The design document's Canary (port 8080, gateway and host, ISTIO_MUTUAL, threshold 5, SLOs of 99% success and
 * 500 ms latency) with every webhook pointing at the bot. The SLOs use Flagger's builtin Istio checks, whose
 * queries match the workloads Flagger names (`<target>` and `<target>-primary`); the document's own queries
 * name a `product-service-canary` workload that Flagger never creates.
 */
export function canary(o: CanaryOptions): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: o.name },
      progressDeadlineSeconds: 120,
      service: {
        port: 8080,
        targetPort: 8080,
        gateways: ['istio-system/public-gateway'],
        hosts: [`${o.name}.example.com`],
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      },
      analysis: {
        interval: o.interval ?? '10s',
        threshold: o.threshold ?? 5,
        ...strategyOf(o),
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
        ],
        webhooks: HOOK_TYPES.map((type) => ({
          name: `release-bot-${type}`,
          type,
          url: `${o.botUrl}/flagger/${type}`,
          timeout: '10s',
          metadata: { token: o.token },
        })),
      },
      skipAnalysis: false,
    },
  };
}
