import type { ReleaseEvent } from '../domain/events';
import type { ServiceId } from '../domain/flagger';
import type { EventPresenter } from '../ports/events';
import type { Job } from '../ports/queue';
import { alertReply } from './alert-message';
import { postEscalation } from './escalation';
import { alertRollbackReply, replyFor } from './replies';
import { runbookEndReply, runbookMessage } from './runbook-message';
import {
  closeRequests,
  digest,
  postReply,
  postRequest,
  rememberRequest,
  snapshotForUser,
  syncThread,
  type ThreadDeps,
} from './thread';

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
      case 'gate-escalated':
        await postEscalation(deps, event);
        return;
      case 'runbook-started':
      case 'runbook-progressed':
      case 'runbook-waiting':
      case 'runbook-ended':
        await syncRunbook(deps, event.service, event.run, event.execution);
        return;
      case 'alert-received':
      case 'alert-resolved': {
        const snapshot =
          event.type === 'alert-received' && event.action === 'offered'
            ? await deps.store.getSnapshot(event.service, event.run, 'latest')
            : undefined;
        const answer = alertReply(event, snapshot);
        if (answer) await postReply(deps, event.service, event.run, answer);
        return;
      }
      case 'rollback-requested':
        if (event.cause === 'alert') {
          const execution = await deps.store.getExecution(event.service, event.run, event.execution ?? 'rollback');
          await postReply(deps, event.service, event.run, alertRollbackReply(event, execution?.trigger.alert));
        }
        await syncThread(deps, event.service, event.run);
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
 * The message of one runbook execution: posted once in the thread (its ts kept under `runbook:<id>`), then edited
 * in place only when what it shows changed; at the end, a short reply says how it went. The execution is read
 * whole, so a missed or reordered event loses nothing and a redelivered one changes nothing.
 */
export async function syncRunbook(deps: ThreadDeps, service: ServiceId, run: number, id: string): Promise<void> {
  const [thread, execution] = await Promise.all([
    syncThread(deps, service, run),
    deps.store.getExecution(service, run, id),
  ]);
  const policy = deps.config.services.get(service);
  if (!thread || !execution || !policy) return;
  const message = runbookMessage(execution, policy.runbook);
  const slot = `runbook:${id}`;
  const hash = digest(message);
  const ts = thread.requests[slot];
  let current = thread;
  if (!ts) {
    // The rollback is what the channel must see at 2 a.m.; dry runs and diagnoses stay in the thread.
    const broadcast = id === 'rollback' && !execution.dryRun;
    const posted = await deps.chat.post(thread.channel, message, { ts: thread.ts, broadcast });
    current = {
      ...thread,
      requests: rememberRequest(thread.requests, slot, posted.ts),
      hashes: hashesWith(thread, slot, hash),
    };
    await deps.store.saveThread(current);
  } else if (thread.hashes?.[slot] !== hash) {
    await deps.chat.update(thread.channel, ts, message);
    current = { ...thread, hashes: hashesWith(thread, slot, hash) };
    await deps.store.saveThread(current);
  }
  const end = runbookEndReply(execution, policy.runbook);
  if (end) await postReply(deps, service, run, end);
}

/** Bounded like the requests they belong to. */
const hashesWith = (thread: { hashes?: Record<string, string> }, slot: string, hash: string) =>
  Object.fromEntries(Object.entries({ ...thread.hashes, [slot]: hash }).slice(-50));

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
