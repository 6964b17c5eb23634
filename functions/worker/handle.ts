import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
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
      try {
        await runJob(ready, JSON.parse(record.body) as Job);
      } catch (error) {
        console.error(JSON.stringify({ msg: 'job failed', messageId: record.messageId, error: String(error) }));
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
