import type { Job } from './queue';

/** One queued job as the outbox keeps it until it has run. */
export interface OutboxEntry {
  /** Jobs of one group (a service, or 'users') run in order, like an SQS FIFO message group. */
  group: string;
  /** Sortable: later jobs of a group have greater ids, across restarts too. */
  id: string;
  job: Job;
  /** Failed runs so far, over every start. */
  failures: number;
  /** Kept after its retries ran out: a dead letter, run again on the next start. */
  dead: boolean;
  lastError?: string;
}

/**
 * Durable storage for the local queue's jobs: a job is written before `send` returns and removed once it ran, so a
 * crash or Ctrl-C loses nothing (AWS has SQS for this).
 */
export interface Outbox {
  add(entry: Pick<OutboxEntry, 'group' | 'id' | 'job'>): Promise<void>;
  remove(entry: Pick<OutboxEntry, 'group' | 'id'>): Promise<void>;
  /** Records a failed run; `dead` once its retries ran out. Never recreates a removed entry. */
  recordFailure(entry: Pick<OutboxEntry, 'group' | 'id'>, error: string, dead: boolean): Promise<void>;
  /** Every entry, pending and dead, by group then id. */
  list(): Promise<OutboxEntry[]>;
}
