import type { KubeObject } from '../../e2e/harness/kube';

/** A Canary as the CRD's schema accepts it (analysis needs stepWeight/maxWeight or iterations); no Flagger runs it. */
export const canaryObject = (namespace: string, name: string): KubeObject => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name, namespace },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    service: { port: 80 },
    analysis: { interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10 },
  },
});

export const destinationRuleObject = (namespace: string, name: string, host: string): KubeObject => ({
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'DestinationRule',
  metadata: { name, namespace },
  spec: { host },
});
