import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { groupOf, type Job, type Queue } from '../ports/queue';

/** SQS FIFO: one message group per service keeps a release's Slack updates in order. */
export class SqsQueue implements Queue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(job: Job): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(job),
        MessageGroupId: groupOf(job),
        // Repeated jobs (a second status sync) are wanted; duplicates are harmless because jobs are idempotent.
        MessageDeduplicationId: randomUUID(),
      }),
    );
  }
}
