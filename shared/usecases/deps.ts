import type { BotConfig } from '../config/load';
import type { ReleaseEvent } from '../domain/events';
import type { AuditLog } from '../ports/audit-log';
import type { Directory } from '../ports/chat';
import { queuedEvents } from '../ports/events';
import type { MetricsSource } from '../ports/metrics';
import type { Queue } from '../ports/queue';
import type { ReleaseState } from '../ports/release-state';
import type { RunbookStore } from '../ports/runbook-store';
import type { SnapshotStore } from '../ports/snapshot-store';
import type { ReleaseStore } from '../ports/store';

/** The stores the core decides with: release state, the audit trail and snapshots; never the chat threads. */
export type CoreStore = ReleaseState & AuditLog & SnapshotStore & RunbookStore;

/** What answering Flagger needs: no Slack client, so the Flagger function stays small and starts fast. */
export interface CoreDeps {
  config: BotConfig;
  /**
   * All the stores for now, `CoreStore` plus the thread records: the worker still reads and writes its threads
   * through `deps.store`. Once it is given a `ThreadStore` of its own, this becomes `CoreStore`.
   */
  store: ReleaseStore;
  /** Carries the use cases' events to the presenters (`queuedEvents`). */
  queue: Queue;
  now: () => Date;
  /** Prometheus, when the configuration names one: snapshots and SLO-guarded gates. */
  metrics?: MetricsSource;
}

/** Decisions made by people also need to know who is in which Slack user group. */
export interface Deps extends CoreDeps {
  directory: Directory;
}

/** Records what happened for the presenters, through the queue: the use cases' only way of telling. */
export const publish = (deps: Pick<CoreDeps, 'queue'>, event: ReleaseEvent): Promise<void> =>
  queuedEvents(deps.queue).publish(event);
