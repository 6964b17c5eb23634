import { bounded, TEXT_LIMITS } from './bounds';
import { type HookCall, type HookType, type Phase, ROLLBACK_PHASES, type ServiceId } from './flagger';
import type { AnalysisShape } from './strategy';

/**
 * One release run: a canary analysis of one revision, from the first hook that announced it to its end.
 * Approvals are bound to a run (and a gate), never to a service, so they cannot leak into the next release.
 */
export interface Run {
  service: ServiceId;
  number: number;
  state: 'awaiting-start' | 'progressing' | 'ended';
  /** Checksum on the call that opened the run; confirm-rollout sends the previous revision's. */
  openingChecksum: string;
  /** Checksum of the revision under analysis, learnt from the first hook sent while Progressing. */
  checksum?: string;
  phase: Phase;
  weight: number;
  /**
   * Where `weight` was last learnt: Flagger's own "Advance ... canary weight N" event, or a traffic step the bot
   * answered yes to (provisional until Flagger's event confirms it). Absent: the 0 every analysis starts from.
   */
  weightFrom?: 'flagger' | 'bot';
  /** Blue-green and A/B testing: the iteration Flagger last announced ("Advance ... canary iteration 2/10"). */
  iteration?: { done: number; of: number };
  /**
   * The live Canary's analysis, read by the worker when the run started; the run follows it rather than the config.
   * Absent: not read (no cluster, or the read failed), and the config's applies.
   */
  analysis?: AnalysisShape;
  startedAt: string;
  updatedAt: string;
  endedAt?: string;
  outcome?: 'succeeded' | 'failed' | 'superseded';
  /** Slack user ID of the person who deployed, when the Canary's webhook metadata names one (`deployer`). */
  deployedBy?: string;
  /**
   * Everyone any hook of this run named as `deployer` (first is `deployedBy`), bounded: none of them may approve
   * a gate of this run unless the service allows self-approval.
   */
  deployers?: string[];
  /** Set once: from then on the rollback hook answers 200. `cause` is absent on runs recorded before it existed. */
  rollback?: { by: string; at: string; reason: string; cause?: 'person' | 'rejection' | 'alert' };
  /** Hook types Flagger has called for this run: a rollback can only happen if `rollback` is among them. */
  hooks?: HookType[];
  timeline: TimelineEntry[];
  /** Optimistic-concurrency counter; the store refuses a save made from a stale copy. */
  version: number;
}

export interface TimelineEntry {
  at: string;
  text: string;
  warning?: boolean;
}

const TIMELINE_LIMIT = 40;
/** Deployers kept per run: enough for a CI that names someone else on a retry, bounded whatever hooks send. */
export const DEPLOYERS_LIMIT = 5;
const TERMINAL: readonly Phase[] = ['Succeeded', 'Failed'];
const ANALYSIS_PHASES: readonly Phase[] = ['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'];

export type Placement = 'current' | 'new' | 'none';

/**
 * Which run a hook call belongs to. Flagger sends no run id, and the checksum on confirm-rollout usually
 * belongs to the previous revision, so the hook sequence decides:
 * - confirm-rollout outside `Waiting` means Flagger has just detected a new revision;
 * - a Progressing hook whose checksum differs from the run's means the revision changed mid-analysis;
 * - events never open a run (their checksum can be the previous revision's); they annotate the current one.
 */
export function placeHook(current: Run | undefined, call: HookCall): Placement {
  if (call.hook === 'event' || call.hook === 'post-rollout') return current ? 'current' : 'none';
  if (!current) return 'new';
  if (call.hook === 'confirm-rollout') {
    const sameWait =
      current.state === 'awaiting-start' && (call.phase === 'Waiting' || call.checksum === current.openingChecksum);
    return sameWait ? 'current' : 'new';
  }
  if (current.state === 'awaiting-start') return 'current';
  return call.checksum === current.checksum ? 'current' : 'new';
}

export function newRun(call: HookCall, number: number): Run {
  const at = call.receivedAt.toISOString();
  const run: Run = {
    service: call.service,
    number,
    state: 'awaiting-start',
    openingChecksum: call.checksum,
    phase: call.phase,
    weight: 0,
    startedAt: at,
    updatedAt: at,
    timeline: [{ at, text: 'New revision detected' }],
    version: 0,
  };
  return run;
}

/** The run after one hook call: phase, revision, weight and timeline. Pure; the caller saves it. */
export function applyHook(run: Run, call: HookCall): Run {
  if (run.state === 'ended') return run; // a late duplicate changes nothing
  const at = call.receivedAt.toISOString();
  // confirm-promotion always says Progressing, even while the canary is WaitingPromotion.
  const phase = call.hook === 'confirm-promotion' && run.phase === 'WaitingPromotion' ? run.phase : call.phase;
  const next: Run = { ...run, phase, updatedAt: at, timeline: [...run.timeline] };
  if (!run.hooks?.includes(call.hook)) next.hooks = [...(run.hooks ?? []), call.hook];
  recordDeployer(next, call.metadata.deployer);
  // Only a hook sent during the analysis carries the new revision's checksum (newer Flaggers also call the
  // rollback hook while Waiting, with the old one).
  if (next.state === 'awaiting-start' && call.hook !== 'event' && ANALYSIS_PHASES.includes(call.phase)) {
    next.state = 'progressing';
    next.checksum = call.checksum;
    addToTimeline(next, { at, text: 'Analysis started' });
  }
  if (call.hook === 'event') applyEvent(next, call, at);
  if (call.hook === 'post-rollout' && TERMINAL.includes(call.phase)) end(next, call.phase, at);
  return next;
}

/**
 * Any webhook of the Canary may name the deployer (CI templates it into metadata); every distinct one is kept, so
 * naming someone on a later hook still bars them from approving this run. The first stays `deployedBy`.
 */
function recordDeployer(run: Run, named: string | undefined): void {
  if (!named) return;
  const deployer = bounded(named, TEXT_LIMITS.deployer);
  const known = deployersOf(run);
  if (!run.deployedBy) run.deployedBy = deployer;
  if (known.includes(deployer) || known.length >= DEPLOYERS_LIMIT) return;
  run.deployers = [...known, deployer];
}

function applyEvent(run: Run, call: HookCall, at: string): void {
  const message = call.metadata.eventMessage ?? '';
  const weight = advancedWeight(call);
  if (weight !== undefined) {
    run.weight = weight;
    run.weightFrom = 'flagger';
  }
  const iteration = advancedIteration(call);
  if (iteration) run.iteration = iteration;
  if (message) {
    const text = bounded(message, TEXT_LIMITS.eventMessage);
    addToTimeline(run, { at, text, warning: call.metadata.eventType === 'Warning' });
  }
  // Without a post-rollout hook, a terminal event for this revision is the only sign the run ended.
  if (TERMINAL.includes(call.phase) && run.state === 'progressing' && call.checksum === run.checksum) {
    end(run, call.phase, at);
  }
}

/**
 * The canary weight Flagger states it moved to, from its own event (v1.44 scheduler.go, recordEventInfof, so type
 * Normal): exactly "Advance <name>.<namespace> canary weight N". Nothing else counts: a Warning may quote another
 * webhook's response body ("... canary weight 50 ..."), and "canary iteration i/n" or "primary weight N" are not
 * the canary's weight.
 */
export function advancedWeight(call: Pick<HookCall, 'service' | 'metadata'>): number | undefined {
  if (call.metadata.eventType !== 'Normal') return undefined;
  const [namespace, name] = call.service.split('/');
  const expected = `Advance ${name}.${namespace} canary weight `;
  const message = call.metadata.eventMessage ?? '';
  if (!message.startsWith(expected)) return undefined;
  const digits = message.slice(expected.length);
  if (!/^\d{1,3}$/.test(digits)) return undefined;
  const weight = Number(digits);
  return weight <= 100 ? weight : undefined;
}

/**
 * The iteration Flagger states it reached (blue-green and A/B testing, scheduler.go `runBlueGreen`/`runAB`):
 * exactly "Advance <name>.<namespace> canary iteration i/n", type Normal, with 0 < i <= n <= 1000.
 */
export function advancedIteration(
  call: Pick<HookCall, 'service' | 'metadata'>,
): { done: number; of: number } | undefined {
  if (call.metadata.eventType !== 'Normal') return undefined;
  const [namespace, name] = call.service.split('/');
  const expected = `Advance ${name}.${namespace} canary iteration `;
  const message = call.metadata.eventMessage ?? '';
  if (!message.startsWith(expected)) return undefined;
  const found = /^(\d{1,4})\/(\d{1,4})$/.exec(message.slice(expected.length));
  const [done, of] = [Number(found?.[1]), Number(found?.[2])];
  return found && done > 0 && done <= of && of <= 1000 ? { done, of } : undefined;
}

function end(run: Run, phase: Phase, at: string): void {
  run.state = 'ended';
  run.outcome = phase === 'Succeeded' ? 'succeeded' : 'failed';
  run.endedAt = at;
  if (run.outcome === 'failed') {
    run.weight = 0;
    delete run.weightFrom;
  }
  addToTimeline(run, {
    at,
    text: run.outcome === 'succeeded' ? 'Promoted' : 'Failed, rolled back',
    warning: run.outcome === 'failed',
  });
}

/** A newer revision replaced this run before it finished. */
export function supersede(run: Run, at: Date): Run {
  if (run.state === 'ended') return run;
  const next: Run = {
    ...run,
    state: 'ended',
    outcome: 'superseded',
    endedAt: at.toISOString(),
    timeline: [...run.timeline],
  };
  addToTimeline(next, { at: next.endedAt ?? '', text: 'Superseded by a newer revision' });
  return next;
}

/** Repeated Flagger messages (it repeats some every tick) are kept once. */
export function addToTimeline(run: Run, entry: TimelineEntry): void {
  if (run.timeline.slice(-8).some((e) => e.text === entry.text)) return;
  run.timeline.push(entry);
  if (run.timeline.length > TIMELINE_LIMIT) run.timeline.splice(1, run.timeline.length - TIMELINE_LIMIT);
}

/** Equal but for when it was last touched: a hook call that taught the bot nothing. */
export const sameRelease = (a: Run, b: Run): boolean =>
  JSON.stringify({ ...a, updatedAt: '', version: 0 }) === JSON.stringify({ ...b, updatedAt: '', version: 0 });

export const canRollBack = (run: Run): boolean => run.state !== 'ended' && ROLLBACK_PHASES.includes(run.phase);

/** Everyone named as the deployer of this run by any of its hooks. */
export const deployersOf = (run: Pick<Run, 'deployedBy' | 'deployers'> | undefined): string[] =>
  run?.deployers ?? (run?.deployedBy ? [run.deployedBy] : []);

export const runLabel = (run: Pick<Run, 'service' | 'number'>): string => `${run.service} release #${run.number}`;

/** Whether Flagger ever called this run's rollback hook: without it in the Canary, nothing rolls back. */
export const rollbackHookSeen = (run: Pick<Run, 'hooks'>): boolean => run.hooks?.includes('rollback') ?? false;
