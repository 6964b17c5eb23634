import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Job } from '../ports/queue';

/**
 * The bot's logs: Powertools Logger, one JSON object per line on Lambda and locally (`POWERTOOLS_DEV=true` indents
 * them for a person; `POWERTOOLS_LOG_LEVEL` or `LOG_LEVEL` sets the level). `service` is always `release-bot`, so a
 * release's service goes under `release_service` (and its run under `release_run`) where it is known.
 */
export const logger = new Logger({ serviceName: 'release-bot' });

export type Log = Logger;

/** What a log line of a release's work carries besides the correlation id. */
export interface ReleaseKeys {
  release_service?: string;
  release_run?: number;
  /** Which Flagger webhook (`confirm-promotion`, …) or Slack request kind (`command`, …) this is. */
  hook?: string;
  kind?: string;
}

/** A child of the root logger whose every line carries `correlation_id` (and whatever else is known already). */
export function correlatedLog(correlationId: string, keys: ReleaseKeys & Record<string, unknown> = {}): Log {
  return logger.createChild({ persistentKeys: { correlation_id: correlationId, ...keys } });
}

/**
 * The correlation id of an HTTP request: API Gateway's request id (it is also in the access log and in the
 * `apigw-requestid` response header), or the one the local server put there. Slack's timestamp and signature
 * identify nothing (a retry repeats them), so without a request id a new one is made.
 */
export function requestIdOf(event: { requestContext?: { requestId?: string } }): string {
  return event.requestContext?.requestId || randomUUID();
}

/** A worker job's log: the queue's message id as correlation id, and the release the job is for. */
export function jobLog(messageId: string, job: Job): Log {
  return correlatedLog(messageId, {
    job: job.kind,
    ...('service' in job ? { release_service: job.service } : {}),
    ...('run' in job ? { release_run: job.run } : {}),
  });
}

const scope = new AsyncLocalStorage<Log>();

/**
 * Runs `work` with `log` as the current log, so code that has no logger handed to it (Bolt's error handler, an
 * adapter's retry note) still writes the request's correlation id: `currentLog()` inside it returns `log`.
 */
export const withLog = <T>(log: Log, work: () => T): T => scope.run(log, work);

/** The log of the request or job this code runs for, or the root logger outside one. */
export const currentLog = (): Log => scope.getStore() ?? logger;
