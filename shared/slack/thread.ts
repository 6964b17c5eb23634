import { createHash } from 'node:crypto';
import type { ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import type { ServicePolicy } from '../domain/policy';
import type { Run } from '../domain/release';
import type { Snapshot } from '../domain/snapshot';
import { currentLog } from '../observability/logger';
import type { Chat, ChatMessage } from '../ports/chat';
import type { Cluster } from '../ports/cluster';
import type { ThreadRecord } from '../ports/store';
import type { CoreDeps } from '../usecases/deps';
import { takeSnapshot } from '../usecases/snapshot';
import { approvalRequest, statusMessage } from './blocks';
import type { ThreadReply } from './replies';
import { snapshotBlocks, snapshotText } from './snapshot-blocks';

/** What the Slack presenter needs: the chat, read access to the release, and its own thread records. */
export type ThreadDeps = Pick<CoreDeps, 'config' | 'store' | 'metrics' | 'now'> & {
  chat: Chat;
  /** Configured clusters by name, for the live traffic split (only the worker talks to Kubernetes). */
  clusters?: ReadonlyMap<string, Cluster>;
};

/**
 * What a thread record remembers is bounded, newest kept, so it never grows with a long release (pause toggles,
 * expired attempts). Dropping the oldest is safe: a `posted` key only stops a redelivered job from posting twice,
 * and redeliveries come within minutes, long before 100 newer posts push a key out; of `requests`, only the
 * current and the previous attempt of a pending gate are ever looked up, and a run has far fewer than 50 gates.
 */
const POSTED_LIMIT = 100;
const REQUESTS_LIMIT = 50;
export const remember = (posted: string[], key: string): string[] => [...posted, key].slice(-POSTED_LIMIT);
export const rememberRequest = (requests: Record<string, string>, slot: string, ts: string): Record<string, string> =>
  Object.fromEntries(Object.entries({ ...requests, [slot]: ts }).slice(-REQUESTS_LIMIT));

const clusterOf = (deps: ThreadDeps, policy: ServicePolicy): Cluster | undefined =>
  policy.cluster ? deps.clusters?.get(policy.cluster) : undefined;

/** Posts a reply in the run's thread once: a redelivered job finds its key recorded and posts nothing. */
export async function postReply(deps: ThreadDeps, service: ServiceId, run: number, reply: ThreadReply): Promise<void> {
  const thread = await syncThread(deps, service, run);
  if (!thread || thread.posted.includes(reply.key)) return;
  const message: ChatMessage = reply.blocks ? { text: reply.text, blocks: reply.blocks } : { text: reply.text };
  await deps.chat.post(thread.channel, message, { ts: thread.ts });
  await deps.store.saveThread({ ...thread, posted: remember(thread.posted, reply.key) });
}

/** The snapshot someone asked for with `/canary snapshot`, shown to them only. */
export async function snapshotForUser(deps: ThreadDeps, service: ServiceId, channel: string, user: string) {
  const policy = deps.config.services.get(service);
  if (!policy || !deps.metrics) return;
  const snapshot = await takeSnapshot(deps.metrics, policy, deps.now(), undefined, clusterOf(deps, policy));
  await deps.chat.postEphemeral(channel, user, { text: snapshotText(snapshot), blocks: snapshotBlocks(snapshot) });
}

/** A run ended: requests nobody needs to answer any more lose their buttons. */
export async function closeRequests(deps: ThreadDeps, service: ServiceId, run: number): Promise<void> {
  for (const gate of await deps.store.listGates(service, run)) {
    if (gate.status === 'pending') await postRequest(deps, service, run, gate.key, gate.attempt);
  }
}

/** Posts the release's status message the first time, then edits it in place only when its content changed. */
export async function syncThread(
  deps: ThreadDeps,
  service: ServiceId,
  number: number,
): Promise<ThreadRecord | undefined> {
  const policy = deps.config.services.get(service);
  const run = await deps.store.getRun(service, number);
  if (!policy || !run) return undefined;
  const [gates, record, thread, snapshot] = await Promise.all([
    deps.store.listGates(service, number),
    deps.store.getService(service),
    deps.store.getThread(service, number),
    latestSnapshot(deps, policy, run),
  ]);
  const message = statusMessage(policy, run, gates, record, snapshot.value);
  const hash = digest(message);
  let current: ThreadRecord;
  if (!thread) {
    const posted = await deps.chat.post(policy.channel, message);
    current = {
      service,
      run: number,
      channel: posted.channel,
      ts: posted.ts,
      posted: [],
      requests: {},
      statusHash: hash,
    };
    await deps.store.saveThread(current);
  } else if (thread.statusHash !== hash) {
    await deps.chat.update(thread.channel, thread.ts, message);
    current = { ...thread, statusHash: hash };
    await deps.store.saveThread(current);
  } else {
    current = thread;
  }
  // The end of a release gets its chart in the thread: how it went, at a glance.
  if (run.state === 'ended' && snapshot.value && snapshot.fresh)
    return uploadChart(deps, current, snapshot.value, 'end');
  return current;
}

/**
 * The status message's snapshot: retaken when the canary weight moved since the last one (each step of the
 * rollout timeline) and once more when the release ended.
 */
async function latestSnapshot(
  deps: ThreadDeps,
  policy: ServicePolicy,
  run: Run,
): Promise<{ value?: Snapshot; fresh: boolean }> {
  if (!deps.metrics) return { fresh: false };
  const stored = await deps.store.getSnapshot(run.service, run.number, 'latest');
  const endedSince = run.endedAt !== undefined && (!stored || stored.takenAt < run.endedAt);
  if (stored && stored.weight === run.weight && !endedSince) return { value: stored, fresh: false };
  const taken = await takeSnapshot(deps.metrics, policy, deps.now(), run.weight, clusterOf(deps, policy));
  await deps.store.saveSnapshot(run.number, 'latest', taken);
  return { value: taken, fresh: true };
}

export async function postRequest(deps: ThreadDeps, service: ServiceId, number: number, key: string, attempt: number) {
  const policy = deps.config.services.get(service);
  const [run, gate] = await Promise.all([deps.store.getRun(service, number), deps.store.getGate(service, number, key)]);
  const thread = await syncThread(deps, service, number);
  if (!policy || !run || !gate || !thread) return;
  const slot = `${key}#${attempt}`;
  const ts = thread.requests[slot];
  if (ts) {
    const snapshot = await deps.store.getSnapshot(service, number, slot);
    await deps.chat.update(thread.channel, ts, approvalRequest(policy, run, gate, attempt, snapshot));
    // A redelivered job after a crash between posting and marking: the request is in Slack, say so.
    if (attempt === gate.attempt && gate.requestPosted !== attempt) await markPosted(deps, gate, attempt);
    return;
  }
  if (attempt < gate.attempt || gate.status !== 'pending' || run.state === 'ended') return; // nobody can act on it
  // The evidence approvers decide on: taken when the request is posted, kept with the request for the audit trail.
  const snapshot = deps.metrics
    ? await takeSnapshot(deps.metrics, policy, deps.now(), run.weight, clusterOf(deps, policy))
    : undefined;
  if (snapshot) await deps.store.saveSnapshot(number, slot, snapshot);
  const message: ChatMessage = approvalRequest(policy, run, gate, attempt, snapshot);
  // Broadcast: a request hidden in a thread is missed at 2 a.m.; the channel shows it too.
  const posted = await deps.chat.post(thread.channel, message, { ts: thread.ts, broadcast: true });
  const saved = { ...thread, requests: rememberRequest(thread.requests, slot, posted.ts) };
  await deps.store.saveThread(saved);
  await markPosted(deps, gate, attempt);
  if (snapshot) await uploadChart(deps, saved, snapshot, slot);
  // The previous attempt's message loses its buttons.
  const previous = thread.requests[`${key}#${attempt - 1}`];
  if (previous) await deps.chat.update(thread.channel, previous, approvalRequest(policy, run, gate, attempt - 1));
}

/** Tells the Flagger path this attempt's request reached Slack, so it does not ask for it again. */
const markPosted = (deps: ThreadDeps, gate: Gate, attempt: number): Promise<boolean> =>
  deps.store.markRequestPosted({ service: gate.service, run: gate.run, key: gate.key, attempt });

/** The chart is a picture beside the numbers: a failed upload (say, no files:write scope) is logged, not retried. */
async function uploadChart(deps: ThreadDeps, thread: ThreadRecord, snapshot: Snapshot, key: string) {
  const mark = `chart:${key}`;
  if (thread.posted.includes(mark)) return thread;
  const updated = { ...thread, posted: remember(thread.posted, mark) };
  try {
    const { chartPng } = await import('../render/chart'); // wasm and fonts load only where charts are drawn
    const content = await chartPng(snapshot);
    await deps.chat.upload(
      thread.channel,
      {
        filename: `${snapshot.service.replace('/', '-')}-${key.replace(/[^a-z0-9-]/gi, '-')}.png`,
        content,
        title: `${snapshot.service}: canary vs primary`,
        altText: snapshotText(snapshot),
      },
      { ts: thread.ts },
    );
  } catch (error) {
    currentLog().warn('chart upload failed', { release_service: snapshot.service, error });
  }
  await deps.store.saveThread(updated);
  return updated;
}

export const digest = (message: ChatMessage): string =>
  createHash('sha256').update(JSON.stringify(message)).digest('hex');
