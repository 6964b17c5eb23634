import type { BotConfig } from '../config/load';
import type { Directory } from '../ports/chat';
import type { MetricsSource } from '../ports/metrics';
import type { Queue } from '../ports/queue';
import type { ReleaseStore } from '../ports/store';

/** What answering Flagger needs: no Slack client, so the Flagger function stays small and starts fast. */
export interface CoreDeps {
  config: BotConfig;
  store: ReleaseStore;
  queue: Queue;
  now: () => Date;
  /** Prometheus, when the configuration names one: snapshots and SLO-guarded gates. */
  metrics?: MetricsSource;
}

/** Decisions made by people also need to know who is in which Slack user group. */
export interface Deps extends CoreDeps {
  directory: Directory;
}
