import type { ReleaseEvent } from '../domain/events';
import type { EventPresenter } from '../ports/events';
import type { Job } from '../ports/queue';
import { replyFor } from './replies';
import { closeRequests, postReply, postRequest, snapshotForUser, syncThread, type ThreadDeps } from './thread';

export type { ThreadDeps } from './thread';

/**
 * The Slack presenter of release events: each event becomes thread work (the status message posted or edited,
 * an approval request posted or updated, a reply). Its thread records (which message is the status, which ts a
 * request has, which replies were posted) are its own bookkeeping. Every step is idempotent, so a redelivered event
 * repeats nothing a person sees.
 */
export class SlackThreadPresenter implements EventPresenter {
  constructor(private readonly deps: ThreadDeps) {}

  async present(event: ReleaseEvent): Promise<void> {
    const { deps } = this;
    if (event.run === undefined) return; // a pause with no release: no thread to tell
    const reply = replyFor(event);
    if (reply) await postReply(deps, event.service, event.run, reply);
    switch (event.type) {
      case 'gate-opened':
      case 'gate-request-lost':
      case 'approval-counted':
      case 'gate-approved':
      case 'gate-rejected':
        await postRequest(deps, event.service, event.run, event.key, event.attempt);
        return;
      case 'gate-expired':
      case 'approval-withdrawn':
        await postRequest(deps, event.service, event.run, event.key, event.next);
        return;
      case 'run-ended':
      case 'run-superseded':
        await syncThread(deps, event.service, event.run);
        await closeRequests(deps, event.service, event.run);
        return;
      default:
        await syncThread(deps, event.service, event.run);
    }
  }
}

/**
 * Runs one queued job. Jobs of one service arrive in order, one at a time (SQS FIFO group per service), so a
 * read-post-record sequence here does not race; a redelivered job finds its post recorded and does nothing.
 */
export async function runJob(deps: ThreadDeps, job: Job): Promise<void> {
  switch (job.kind) {
    case 'event':
      return new SlackThreadPresenter(deps).present(job.event);
    case 'sync-thread':
      await syncThread(deps, job.service, job.run);
      return;
    case 'request-approval':
      await postRequest(deps, job.service, job.run, job.gate, job.attempt);
      return;
    case 'tell-user':
      await deps.chat.postEphemeral(job.channel, job.user, { text: job.text });
      return;
    case 'snapshot-for-user':
      return snapshotForUser(deps, job.service, job.channel, job.user);
    default:
      // A job of a kind this version no longer makes (queued by an older one before a deploy): nothing to do.
      return;
  }
}
