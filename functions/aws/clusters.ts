import { clustersOf } from '../../shared/adapters/kubernetes-cluster';
import type { BotConfig } from '../../shared/config/load';
import { latest } from './memo';

/**
 * The configured clusters, for the worker only: the Kubernetes client is 2 MB of bundle that the Flagger function
 * (which shares core.ts) must not load. Rebuilt when a new configuration version arrives.
 */
export const clustersFor = latest((config: BotConfig) => clustersOf(config));
