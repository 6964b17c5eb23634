import type { ServiceId } from '../domain/flagger';

/**
 * Where the chat thread of a run lives, and which thread replies were already posted: the Slack presenter's
 * bookkeeping, which the core never reads.
 */
export interface ThreadRecord {
  service: ServiceId;
  run: number;
  channel: string;
  ts: string;
  posted: string[];
  /** gate key#attempt -> ts of its approval request message */
  requests: Record<string, string>;
  /** Hash of the status message as last posted, so an unchanged status is not edited again. */
  statusHash?: string;
  /** Message slot (`runbook:<execution>`) -> hash of its content as last posted: an unchanged one is not edited. */
  hashes?: Record<string, string>;
}

/** One thread record per run; written only by the jobs of that run's service, which run one at a time. */
export interface ThreadStore {
  getThread(service: ServiceId, run: number): Promise<ThreadRecord | undefined>;
  saveThread(thread: ThreadRecord): Promise<void>;
}
