import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { jobLog, logger, withLog } from '../../shared/observability/logger';
import type { Job } from '../../shared/ports/queue';
import { runJob, type ThreadDeps } from '../../shared/slack/thread-presenter';

/** SQS FIFO batches: a failed job is reported so SQS redelivers it (and the rest of its group after it). */
export function workerHandler(deps: () => Promise<ThreadDeps>) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const ready = await deps();
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      if (failures.length > 0) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      let log = logger;
      try {
        const job = JSON.parse(record.body) as Job;
        log = jobLog(record.messageId, job);
        await withLog(log, () => runJob(ready, job));
      } catch (error) {
        // Redelivered by SQS, and dead-lettered after the queue's maxReceiveCount: a job is never dropped here.
        log.error('job failed', { messageId: record.messageId, error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
