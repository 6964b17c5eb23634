import type { ServiceId } from '../domain/flagger';
import type { RunbookExecution } from '../domain/runbook';

/**
 * Runbook executions, checkpointed after every step. Writes are conditional on `version`, so two workers (or a
 * redelivered job) racing for one execution advance it once: the loser reads the winner's copy and stops.
 */
export interface RunbookStore {
  /** Stores the execution unless one with its id exists for that run; returns what is stored and whether it is new. */
  createExecution(execution: RunbookExecution): Promise<{ execution: RunbookExecution; created: boolean }>;
  getExecution(service: ServiceId, run: number, id: string): Promise<RunbookExecution | undefined>;
  /** Saves unless the stored version differs from `execution.version`; bumps the version. False if it lost. */
  saveExecution(execution: RunbookExecution): Promise<boolean>;
  /** The run's executions, oldest first, at most `limit`. */
  listExecutions(service: ServiceId, run: number, limit: number): Promise<RunbookExecution[]>;
}
