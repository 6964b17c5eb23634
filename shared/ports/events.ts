import type { ReleaseEvent } from '../domain/events';
import type { Queue } from './queue';

/** Where use cases hand what happened. One method: the use case neither knows nor waits for who tells it. */
export interface Events {
  publish(event: ReleaseEvent): Promise<void>;
}

/**
 * The event port of every runtime: events ride the job queue (SQS FIFO, or the local outbox), one group per service,
 * so they reach the presenters in order and off the 3 s (Slack) and 10 s (Flagger) paths. The Flagger function
 * loads no presenter: it only sends.
 */
export const queuedEvents = (queue: Queue): Events => ({
  publish: (event) => queue.send({ kind: 'event', service: event.service, event }),
});

/** Tells events: the Slack thread today, a console later. The worker hands each queued event to one. */
export interface EventPresenter {
  present(event: ReleaseEvent): Promise<void>;
}
