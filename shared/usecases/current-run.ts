import { ConflictError } from '../domain/errors';
import type { HookCall, ServiceId } from '../domain/flagger';
import type { Gate } from '../domain/gate';
import { applyHook, newRun, placeHook, type Run, sameRelease, supersede } from '../domain/release';
import type { ReleaseState, ServiceRecord } from '../ports/release-state';
import { type CoreDeps, publish } from './deps';

const ATTEMPTS = 12;

/** A short random pause before retrying, so racing duplicates do not collide again in lockstep. */
const backoff = (attempt: number): Promise<void> =>
  attempt === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));

export interface Placed {
  service: ServiceRecord | undefined;
  run: Run | undefined;
  started: boolean;
  /** This call ended the run (post-rollout, or a terminal event). */
  ended: boolean;
  /** The run changed in more than its timestamp, so its status message may need an update. */
  changed: boolean;
  superseded?: Run;
  /** Of the gates of `run` asked for by key (`gateKeys`), those that existed when the call read it. */
  gates: Gate[];
  gateKeys: readonly string[];
}

export async function currentRun(store: ReleaseState, service: ServiceId): Promise<Run | undefined> {
  const record = await store.getService(service);
  return record && record.runCount > 0 ? store.getRun(service, record.runCount) : undefined;
}

/**
 * Finds (or starts) the run a hook call belongs to and records the call on it, reading with it the gates named by
 * `gateKeys` (the ones the call may answer from): a call that changes nothing costs one read. Optimistic: on a
 * conflicting write (a duplicate webhook racing this one) it re-reads and tries again, so a call is applied once.
 */
export async function recordHook(
  store: ReleaseState,
  call: HookCall,
  gateKeys: readonly string[] = [],
): Promise<Placed> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await backoff(attempt);
    const { service, run: current, gates } = await store.readHookState(call.service, gateKeys);
    const count = service?.runCount ?? 0;
    const read = { gates, gateKeys };
    const placement = placeHook(current, call);
    if (placement === 'none') return { service, run: undefined, started: false, ended: false, changed: false, ...read };
    if (placement === 'new') {
      const run = applyHook(newRun(call, count + 1), call);
      if (!(await store.startRun(run, count))) continue;
      // A run that just started has no gates yet: every one asked for is known to be absent.
      const placed: Placed = {
        service,
        run: await store.getRun(call.service, run.number),
        started: true,
        ended: false,
        changed: true,
        gates: [],
        gateKeys,
      };
      if (current && current.state !== 'ended') {
        const ended = await updateRun(store, call.service, current.number, (r) =>
          r.state === 'ended' ? undefined : supersede(r, call.receivedAt),
        );
        if (ended?.outcome === 'superseded') placed.superseded = ended;
      }
      return placed;
    }
    if (!current) continue;
    const next = applyHook(current, call);
    // Most calls of a tick change nothing but the time: no write, and nothing for the thread.
    if (sameRelease(next, current))
      return { service, run: current, started: false, ended: false, changed: false, ...read };
    if (await store.saveRun(next)) {
      const ended = current.state !== 'ended' && next.state === 'ended';
      return { service, run: { ...next, version: next.version + 1 }, started: false, ended, changed: true, ...read };
    }
  }
  throw new ConflictError(`could not record ${call.hook} for ${call.service}: too many concurrent writes`);
}

/** Read-modify-write of one run, retried on conflicting writes; `change` returns undefined to leave it as is. */
export async function updateRun(
  store: ReleaseState,
  service: ServiceId,
  number: number,
  change: (run: Run) => Run | undefined,
): Promise<Run | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    await backoff(attempt);
    const run = await store.getRun(service, number);
    const next = run && change(run);
    if (!next) return run;
    if (await store.saveRun(next)) return { ...next, version: next.version + 1 };
  }
  throw new ConflictError(`could not update ${service} release #${number}: too many concurrent writes`);
}

/** Audit and events for what this call changed: a run started, moved on, ended, or was replaced by a newer one. */
export async function reportRunChanges(deps: CoreDeps, placed: Placed): Promise<void> {
  const { run, superseded } = placed;
  if (!run) return;
  const entry = {
    service: run.service,
    at: run.updatedAt,
    actor: 'flagger',
    outcome: 'accepted' as const,
    run: run.number,
    via: 'flagger',
  };
  const ids = { service: run.service, run: run.number };
  if (placed.started) {
    const detail = `new revision detected${superseded ? `; supersedes release #${superseded.number}` : ''}`;
    await deps.store.appendAudit({ ...entry, action: 'run-started', detail });
    await publish(deps, { type: 'run-started', ...ids, ...(superseded ? { supersedes: superseded.number } : {}) });
  } else if (placed.ended) {
    await deps.store.appendAudit({ ...entry, action: 'run-ended', detail: run.outcome ?? 'ended' });
    await publish(deps, { type: 'run-ended', ...ids, outcome: run.outcome === 'succeeded' ? 'succeeded' : 'failed' });
  } else if (placed.changed) {
    await publish(deps, { type: 'run-progressed', ...ids });
  }
  if (superseded) {
    await publish(deps, { type: 'run-superseded', service: run.service, run: superseded.number, by: run.number });
  }
}
