import type { AuditEntry } from '../domain/audit';
import { gateRef } from '../domain/events';
import type { ServiceId } from '../domain/flagger';
import { type Gate, isExpired, lateDecision } from '../domain/gate';
import { type DecisionOutcome, type RefusalReason, refusal, runRef, withCaveat } from '../domain/outcomes';
import { type Action, listedById, mayDecide, type ServicePolicy } from '../domain/policy';
import { deployersOf, type Run } from '../domain/release';
import { snapshotSummary } from '../domain/snapshot-text';
import type { Membership } from '../ports/chat';
import type { CoreDeps, Deps } from './deps';

/** Who asked, and from where; `request` pins a decision to the approval message the person clicked. */
export interface Decider {
  user: string;
  via: string;
  request?: { run: number; gate: string; attempt: number };
}

type GateKey = Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>;
export type Permitted = { policy: ServicePolicy; run: Run | undefined; caveat?: string };
/** With the gate a pinned decision names, when it exists on the current run: read with the run, in one go. */
type PermittedFor = Permitted & { pinned?: Gate };
/** A pending gate open for a decision at `now`, the moment of the decision. */
export type Target = Permitted & { run: Run; gate: Gate; now: Date };

/** Everything but a decision outcome: a check passed. */
export const isOutcome = (value: object): value is DecisionOutcome => 'result' in value;

/**
 * Slack allows 3 s for the whole answer; the Directory promises to be bounded, and this is the safety net if it
 * is not: past the budget, nobody is recognised through a group, and the answer says so.
 */
const DIRECTORY_BUDGET_MS = 1500;

export async function permitted(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  action: Action,
): Promise<PermittedFor | DecisionOutcome> {
  const policy = deps.config.services.get(service);
  if (!policy) return refusal({ code: 'not-configured', service });
  // The service, its current run and the clicked request's gate in one read (what a Flagger call reads too).
  const state = await deps.store.readHookState(service, who.request ? [who.request.gate] : []);
  const run = state.service && state.service.runCount > 0 ? state.run : undefined;
  const pinned = state.gates.find((g) => g.key === who.request?.gate);
  const { groups, caveat } = await membership(deps, policy, who.user);
  const permission = mayDecide(policy, action, who.user, groups, deployersOf(run));
  if (!permission.allowed) {
    const detail = caveat ? `${permission.reason} (${caveat})` : permission.reason;
    await record(deps, who, action, 'refused', run, undefined, detail, service);
    const why: RefusalReason =
      permission.why === 'not-approver'
        ? { code: 'not-approver', action, service, approvers: { ...policy.approvers } }
        : { code: 'self-approval', action, service };
    return withCaveat(refusal(why), caveat);
  }
  return { policy, run, ...(caveat ? { caveat } : {}), ...(pinned ? { pinned } : {}) };
}

/** The listed groups the user is in; not asked at all for a user listed by ID, who never depends on Slack. */
async function membership(deps: Deps, policy: ServicePolicy, user: string): Promise<Membership> {
  if (listedById(policy, user) || policy.approvers.groups.length === 0) return { groups: [] };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Membership>((resolve) => {
    timer = setTimeout(
      () => resolve({ groups: [], caveat: 'group membership unknown: Slack did not answer in time' }),
      DIRECTORY_BUDGET_MS,
    );
  });
  const lookup = Promise.resolve()
    .then(() => deps.directory.groupsOf(user, policy.approvers.groups))
    .catch((): Membership => ({ groups: [], caveat: 'group membership unknown: the Slack lookup failed' }));
  try {
    return await Promise.race([lookup, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The gate the person means, pending and not expired at the moment of the decision; otherwise why not. */
export async function pendingGate(
  deps: Deps,
  service: ServiceId,
  who: Decider,
  gateName: string | undefined,
  action: 'approve' | 'reject',
): Promise<Target | DecisionOutcome> {
  const found = await permitted(deps, service, who, action);
  if (isOutcome(found)) return found;
  const { pinned, ...allowed } = found;
  const { run } = allowed;
  const now = deps.now();
  // Every refusal of someone allowed to decide is in the audit trail too: a click on a stale button included.
  const refuse = async (why: RefusalReason, detail: string, gate?: Gate): Promise<DecisionOutcome> => {
    await record(deps, who, action, 'refused', run, gate, detail, service);
    return withCaveat(refusal(why), allowed.caveat);
  };
  if (!run) return refuse({ code: 'no-release', action, service }, `no release of ${service} is in progress`);
  if (who.request && who.request.run !== run.number) return refuse(...staleRun(who.request.run, run));
  if (run.state === 'ended') {
    return refuse(
      { code: 'ended', run: runRef(run), outcome: run.outcome },
      `release #${run.number} has ended (${run.outcome}); there is nothing to decide`,
    );
  }
  if (who.request) {
    const ref = { service, run: run.number, key: who.request.gate, attempt: who.request.attempt };
    const gate = pinned?.run === run.number ? pinned : undefined;
    if (!gate || gate.attempt !== ref.attempt || gate.status !== 'pending' || isExpired(gate, now)) {
      return withCaveat(await late(deps, { run, now }, ref, who, action, gate ?? null), allowed.caveat);
    }
    return { ...allowed, run, now, gate };
  }
  const pending = (await deps.store.listGates(service, run.number)).filter((g) => g.status === 'pending');
  const named = gateName ? pending.filter((g) => g.key === gateName || g.gate === gateName) : pending;
  const open = named.filter((g) => !isExpired(g, now));
  if (open.length === 1 && open[0]) return { ...allowed, run, now, gate: open[0] };
  if (open.length > 1) {
    const gates = open.map((g) => g.key);
    return refuse({ code: 'several-pending', gates }, `several gates are waiting (${gates.join(', ')})`);
  }
  const expired = named[0];
  if (expired) return withCaveat(await late(deps, { run, now }, expired, who, action, expired), allowed.caveat);
  const nothing: RefusalReason = { code: 'nothing-pending', run: runRef(run) };
  if (gateName) nothing.gateName = gateName;
  return refuse(
    nothing,
    `nothing of release #${run.number} is waiting for approval${gateName ? ` at ${gateName}` : ''}`,
  );
}

/**
 * The outcome of an approval or rejection that found its gate no longer open: someone else decided first, the
 * request expired or was replaced. It reads the gate as stored (unless given), so the person is told what
 * actually happened to it, and the audit trail records the loser as refused with the winner's decision.
 */
export async function late(
  deps: CoreDeps,
  context: { run: Run; now: Date },
  ref: GateKey,
  who: Decider,
  action: 'approve' | 'reject',
  known?: Gate | null,
): Promise<DecisionOutcome> {
  const { run, now } = context;
  const current = (known === undefined ? await deps.store.getGate(ref.service, ref.run, ref.key) : known) ?? undefined;
  const { outcome, why } = lateDecision(current, ref.attempt, who.user, action, now);
  const { answer, detail } = lateOutcome(why, current, ref, action, now);
  await record(deps, who, action, outcome, run, current, detail);
  return answer;
}

function lateOutcome(
  why: ReturnType<typeof lateDecision>['why'],
  gate: Gate | undefined,
  ref: GateKey,
  action: 'approve' | 'reject',
  now: Date,
): { answer: DecisionOutcome; detail: string } {
  if (!gate || why === 'missing') return { answer: refusal({ code: 'request-missing' }), detail: 'no such request' };
  if (why === 'replaced') {
    return {
      answer: refusal({ code: 'request-replaced' }),
      detail: `request ${ref.attempt} was replaced by request ${gate.attempt}`,
    };
  }
  const approvers = Object.keys(gate.approvals);
  const by = gate.rejection?.by ?? '?';
  const reason = gate.rejection?.reason ?? '';
  switch (why) {
    case 'same':
      return action === 'approve'
        ? { answer: { result: 'duplicate', code: 'already-approved', approvers }, detail: 'already approved' }
        : { answer: { result: 'duplicate', code: 'already-rejected' }, detail: 'already rejected' };
    case 'approved':
      return {
        answer: refusal({ code: 'lost-to-approval', action, approvers, request: gateRef(gate) }),
        detail:
          action === 'approve'
            ? `already approved by ${approvers.join(', ')}`
            : `lost to the approval by ${approvers.join(', ')}`,
      };
    case 'rejected':
      return {
        answer: refusal({ code: 'lost-to-rejection', action, by, reason }),
        detail: `lost to the rejection by ${by}: ${reason}`,
      };
    case 'expired':
      return {
        answer: refusal({ code: 'expired', expiresAt: gate.expiresAt, at: now.toISOString() }),
        detail: `request expired at ${gate.expiresAt}`,
      };
  }
}

export async function record(
  deps: Pick<CoreDeps, 'store' | 'now'>,
  who: Decider,
  action: AuditEntry['action'],
  outcome: AuditEntry['outcome'],
  run: Run | undefined,
  gate: Gate | undefined,
  detail: string,
  service = run?.service ?? gate?.service ?? '',
): Promise<void> {
  const entry: AuditEntry = {
    service,
    at: deps.now().toISOString(),
    actor: who.user,
    action,
    outcome,
    via: who.via,
    detail,
  };
  if (run) entry.run = run.number;
  if (gate) {
    // The evidence is what the request showed: the release context and the metric snapshot posted with it.
    const snapshot = await deps.store.getSnapshot(gate.service, gate.run, `${gate.key}#${gate.attempt}`);
    const evidence = snapshot ? `${gate.evidence}. ${snapshotSummary(snapshot)}` : gate.evidence;
    Object.assign(entry, { gate: gate.key, attempt: gate.attempt, evidence });
  }
  await deps.store.appendAudit(entry);
}

/** A decision on a request of an older run: the refusal and its audit detail. */
export const staleRun = (asked: number, run: Run): [RefusalReason, string] => [
  { code: 'stale-request', askedRun: asked, run: runRef(run) },
  `that request belongs to release #${asked}; release #${run.number} is the current one`,
];
