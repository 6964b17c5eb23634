import { createHash } from 'node:crypto';
import type { ServiceId } from '../domain/flagger';
import type { Chat, ChatMessage } from '../ports/chat';
import type { Job } from '../ports/queue';
import type { ThreadRecord } from '../ports/store';
import { approvalRequest, statusMessage } from '../slack/blocks';
import type { CoreDeps } from './deps';

export type WorkerDeps = Pick<CoreDeps, 'config' | 'store' | 'metrics'> & { chat: Chat };

/**
 * Runs one queued job. Jobs of one service arrive in order, one at a time (SQS FIFO group per service), so a
 * read-post-record sequence here does not race; a redelivered job finds its post recorded and does nothing.
 */
export async function runJob(deps: WorkerDeps, job: Job): Promise<void> {
  switch (job.kind) {
    case 'sync-thread':
      await syncThread(deps, job.service, job.run);
      return;
    case 'request-approval':
      await postRequest(deps, job.service, job.run, job.gate, job.attempt);
      return;
    case 'announce': {
      const thread = await syncThread(deps, job.service, job.run);
      if (!thread || thread.posted.includes(job.key)) return;
      await deps.chat.post(thread.channel, { text: job.text }, { ts: thread.ts });
      await deps.store.saveThread({ ...thread, posted: [...thread.posted, job.key] });
      return;
    }
    case 'tell-user':
      await deps.chat.postEphemeral(job.channel, job.user, { text: job.text });
      return;
  }
}

/** Posts the release's status message the first time, then edits it in place only when its content changed. */
async function syncThread(deps: WorkerDeps, service: ServiceId, number: number): Promise<ThreadRecord | undefined> {
  const policy = deps.config.services.get(service);
  const run = await deps.store.getRun(service, number);
  if (!policy || !run) return undefined;
  const [gates, record, thread] = await Promise.all([
    deps.store.listGates(service, number),
    deps.store.getService(service),
    deps.store.getThread(service, number),
  ]);
  const message = statusMessage(policy, run, gates, record);
  const hash = digest(message);
  if (!thread) {
    const posted = await deps.chat.post(policy.channel, message);
    const created: ThreadRecord = {
      service,
      run: number,
      channel: posted.channel,
      ts: posted.ts,
      posted: [],
      requests: {},
      statusHash: hash,
    };
    await deps.store.saveThread(created);
    return created;
  }
  if (thread.statusHash === hash) return thread;
  await deps.chat.update(thread.channel, thread.ts, message);
  const updated = { ...thread, statusHash: hash };
  await deps.store.saveThread(updated);
  return updated;
}

async function postRequest(deps: WorkerDeps, service: ServiceId, number: number, key: string, attempt: number) {
  const policy = deps.config.services.get(service);
  const [run, gate] = await Promise.all([deps.store.getRun(service, number), deps.store.getGate(service, number, key)]);
  const thread = await syncThread(deps, service, number);
  if (!policy || !run || !gate || !thread) return;
  const message: ChatMessage = approvalRequest(policy, run, gate, attempt);
  const slot = `${key}#${attempt}`;
  const ts = thread.requests[slot];
  if (ts) {
    await deps.chat.update(thread.channel, ts, message);
    return;
  }
  if (attempt < gate.attempt || gate.status !== 'pending' || run.state === 'ended') return; // nobody can act on it
  // Broadcast: a request hidden in a thread is missed at 2 a.m.; the channel shows it too.
  const posted = await deps.chat.post(thread.channel, message, { ts: thread.ts, broadcast: true });
  await deps.store.saveThread({ ...thread, requests: { ...thread.requests, [slot]: posted.ts } });
  // The previous attempt's message loses its buttons.
  const previous = thread.requests[`${key}#${attempt - 1}`];
  if (previous) await deps.chat.update(thread.channel, previous, approvalRequest(policy, run, gate, attempt - 1));
}

const digest = (message: ChatMessage): string => createHash('sha256').update(JSON.stringify(message)).digest('hex');
