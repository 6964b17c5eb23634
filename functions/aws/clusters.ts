import { clustersOf } from '../../shared/adapters/kubernetes-cluster';
import { core } from './core';

/**
 * The configured clusters, for the worker only: the Kubernetes client is 2 MB of bundle that the Flagger function
 * (which shares core.ts) must not load.
 */
export const clusters = clustersOf(core.config);
