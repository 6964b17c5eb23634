import type { AuditEntry } from '../domain/audit';
import type { ServiceId } from '../domain/flagger';
import { expiredSentence, type Gate, gateTitle, isExpired, lateDecision } from '../domain/gate';
import { type Action, listedById, mayDecide, type ServicePolicy } from '../domain/policy';
import { deployersOf, type Run, runLabel } from '../domain/release';
import type { Membership } from '../ports/chat';
import { snapshotSummary } from '../render/format';
import { escapeMrkdwn, mention } from '../slack/mrkdwn';
import { currentRun } from './current-run';
import type { Deps } from './deps';

/** Who asked, and from where; `request` pins a decision to the approval message the person clicked. */
export interface Decider {
  user: string;
  via: string;
  request?: { run: number; gate: string; attempt: number };
}

/** The answer shown to the person (ephemerally); `ok` false means refused, with `message` saying why. */
export interface DecisionResult {
  ok: boolean;
  message: string;
}

export const refused = (message: string): DecisionResult => ({ ok: false, message });
export const done = (message: string): DecisionResult => ({ ok: true, message });

/** Appends why a group-based answer may be out of date, when the decision depended on the directory. */
export const withCaveat = (result: DecisionResult, caveat: string | undefined): DecisionResult =>
  caveat ? { ...result, message: `${result.message} (${caveat})` } : result;

type GateRef = Pick<Gate, 'service' | 'run' | 'key' | 'attempt'>;
export type Permitted = { policy: ServicePolicy; run: Run | undefined; caveat?: string };
/** A pending gate open for a decision at `now`, the moment of the decision. */
export type Target = Permitted & { run: Run; gate: Gate; now: Date };

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
): Promise<Permitted | DecisionResult> {
  const policy = deps.config.services.get(service);
  if (!policy) return refused(`${service} is not configured in release-bot.`);
  const run = await currentRun(deps.store, service);
  const { groups, caveat } = await membership(deps, policy, who.user);
  const permission = mayDecide(policy, action, who.user, groups, deployersOf(run));
  if (!permission.allowed) {
    const detail = caveat ? `${permission.reason} (${caveat})` : permission.reason;
    await record(deps, who, action, 'refused', run, undefined, detail, service);
    return withCaveat(refused(`You cannot ${action} this: ${permission.reason}.`), caveat);
  }
  return caveat ? { policy, run, caveat } : { policy, run };
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
): Promise<Target | DecisionResult> {
  const allowed = await permitted(deps, service, who, action);
  if ('message' in allowed) return allowed;
  const { run } = allowed;
  const now = deps.now();
  // Every refusal of someone allowed to decide is in the audit trail too: a click on a stale button included.
  const refuse = async (message: string, gate?: Gate): Promise<DecisionResult> => {
    const result = withCaveat(refused(message), allowed.caveat);
    await record(deps, who, action, 'refused', run, gate, message, service);
    return result;
  };
  if (!run) return refuse(`No release of ${service} is in progress.`);
  if (who.request && who.request.run !== run.number) return refuse(staleRun(who.request.run, run));
  if (run.state === 'ended') return refuse(`${runLabel(run)} has ended (${run.outcome}); there is nothing to decide.`);
  if (who.request) {
    const ref = { service, run: run.number, key: who.request.gate, attempt: who.request.attempt };
    const gate = await deps.store.getGate(service, run.number, ref.key);
    if (!gate || gate.attempt !== ref.attempt || gate.status !== 'pending' || isExpired(gate, now)) {
      return withCaveat(await late(deps, { run, now }, ref, who, action, gate ?? null), allowed.caveat);
    }
    return { ...allowed, run, now, gate };
  }
  const pending = (await deps.store.listGates(service, run.number)).filter((g) => g.status === 'pending');
  const named = gateName ? pending.filter((g) => g.key === gateName || g.gate === gateName) : pending;
  const open = named.filter((g) => !isExpired(g, now));
  if (open.length === 1 && open[0]) return { ...allowed, run, now, gate: open[0] };
  if (open.length > 1) return refuse(`Several gates are waiting (${open.map((g) => g.key).join(', ')}); name one.`);
  const expired = named[0];
  if (expired) return withCaveat(await late(deps, { run, now }, expired, who, action, expired), allowed.caveat);
  const at = gateName ? ` at ${escapeMrkdwn(gateName)}` : '';
  return refuse(`Nothing of ${runLabel(run)} is waiting for approval${at}.`);
}

/**
 * The answer to an approval or rejection that found its gate no longer open: someone else decided first, the
 * request expired or was replaced. It reads the gate as stored (unless given), so the person is told what
 * actually happened to it, and the audit trail records the loser as refused with the winner's decision.
 */
export async function late(
  deps: Deps,
  context: { run: Run; now: Date },
  ref: GateRef,
  who: Decider,
  action: 'approve' | 'reject',
  known?: Gate | null,
): Promise<DecisionResult> {
  const { run, now } = context;
  const current = (known === undefined ? await deps.store.getGate(ref.service, ref.run, ref.key) : known) ?? undefined;
  const { outcome, why } = lateDecision(current, ref.attempt, who.user, action, now);
  const { message, detail } = lateAnswer(why, current, ref, action, now, run);
  await record(deps, who, action, outcome, run, current, detail);
  return outcome === 'duplicate' ? done(message) : refused(message);
}

function lateAnswer(
  why: ReturnType<typeof lateDecision>['why'],
  gate: Gate | undefined,
  ref: GateRef,
  action: 'approve' | 'reject',
  now: Date,
  run: Run,
): { message: string; detail: string } {
  if (!gate || why === 'missing')
    return { message: 'That approval request no longer exists.', detail: 'no such request' };
  if (why === 'replaced') {
    return {
      message: 'That approval request expired; use the newer one in the thread.',
      detail: `request ${ref.attempt} was replaced by request ${gate.attempt}`,
    };
  }
  const approvers = Object.keys(gate.approvals).join(', ');
  const by = gate.rejection?.by ?? '?';
  const reason = gate.rejection?.reason ?? '';
  switch (why) {
    case 'same':
      return action === 'approve'
        ? { message: `You already approved this; it is approved by ${mentions(gate)}.`, detail: 'already approved' }
        : { message: 'You already rejected this.', detail: 'already rejected' };
    case 'approved':
      return action === 'approve'
        ? { message: `This was already approved by ${mentions(gate)}.`, detail: `already approved by ${approvers}` }
        : {
            message: `This was already approved by ${mentions(gate)} before your rejection: Flagger may ${gateTitle(gate)}. To stop the release, use \`/canary rollback ${run.service}\` or the Roll back button.`,
            detail: `lost to the approval by ${approvers}`,
          };
    case 'rejected':
      return {
        message: `${mention(by)} rejected this first (reason: ${escapeMrkdwn(reason)})${action === 'approve' ? ': your approval does not count, and the gate stays closed' : ''}.`,
        detail: `lost to the rejection by ${by}: ${reason}`,
      };
    case 'expired':
      return { message: expiredSentence(gate, now), detail: `request expired at ${gate.expiresAt}` };
  }
}

export async function record(
  deps: Deps,
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

export const staleRun = (asked: number, run: Run): string =>
  `That request belongs to release #${asked}; ${runLabel(run)} is the current one.`;

export const mentions = (gate: Gate): string => Object.keys(gate.approvals).map(mention).join(', ') || 'nobody';
