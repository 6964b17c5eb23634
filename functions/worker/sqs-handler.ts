import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runWorkerJob, type WorkerDeps } from '../../shared/jobs';
import { jobLog, logger, withLog } from '../../shared/observability/logger';
import type { Job } from '../../shared/ports/queue';

/** A runbook job works at most this long (a wait goes on in a re-queued job), and never into the Lambda's last 10 s. */
const RUNBOOK_BUDGET_MS = 50_000;
const MARGIN_MS = 10_000;
const MIN_BUDGET_MS = 1_000;

/** SQS FIFO batches: a failed job is reported so SQS redelivers it (and the rest of its group after it). */
export function workerHandler(deps: () => Promise<WorkerDeps>) {
  return async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
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
        // Several runbook jobs in one batch share the invocation's time: each gets what is left of it.
        const remaining = context ? context.getRemainingTimeInMillis() - MARGIN_MS : RUNBOOK_BUDGET_MS;
        const budgetMs = Math.max(MIN_BUDGET_MS, Math.min(RUNBOOK_BUDGET_MS, remaining));
        const continued = await withLog(log, () => runWorkerJob(ready, job, { budgetMs }));
        if (continued) log.info('runbook job done', { continued });
      } catch (error) {
        // Redelivered by SQS, and dead-lettered after the queue's maxReceiveCount: a job is never dropped here.
        log.error('job failed', { messageId: record.messageId, error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
