// The policy's shape is the configuration schema's output, declared there once with its defaults. A type-only
// import is erased, so the domain never loads zod.
import type { GateMode, ServicePolicy } from '../config/schema';
import type { GateType } from './flagger';
import type { Run } from './release';
import { type AnalysisShape, withDefaults } from './strategy';

export type { GateMode, ServicePolicy };

/** How this gate is answered for a step that leads to `targetWeight`: below `fromWeight` a traffic step is automatic. */
export function gateMode(policy: ServicePolicy, gate: GateType, targetWeight: number): GateMode {
  if (gate === 'confirm-traffic-increase') {
    const rule = policy.gates[gate];
    return targetWeight >= rule.fromWeight ? rule.mode : 'auto';
  }
  return policy.gates[gate].mode;
}

/** Whether this gate, for a step that leads to `targetWeight`, waits for people. */
export const needsHuman = (policy: ServicePolicy, gate: GateType, targetWeight: number): boolean =>
  gateMode(policy, gate, targetWeight) === 'manual';

/**
 * The analysis a run follows: the live Canary's, when the worker read it as the run started (`learnAnalysis`),
 * else the config's with its defaults. Flagger acts on the Canary, so the Canary wins where both speak.
 */
export const analysisOf = (policy: ServicePolicy, run?: Pick<Run, 'analysis'>): AnalysisShape =>
  run?.analysis ?? withDefaults(policy.analysis);

/**
 * May this person do this? A refusal says why as a code (for presenters) and as a plain sentence (for the audit
 * trail, which keeps text, never chat markup).
 */
export type Permission = { allowed: true } | { allowed: false; why: 'not-approver' | 'self-approval'; reason: string };

/** What a person asks for. Approving and resuming move traffic; rejecting, rolling back and pausing stop it. */
export type Action = 'approve' | 'reject' | 'rollback' | 'pause' | 'resume';

/**
 * Resume counts as approving: it lets Flagger move traffic to the canary again, exactly what a traffic-step
 * approval does, so a deployer may not resume their own paused release any more than they may approve it.
 */
const MOVES_TRAFFIC: readonly Action[] = ['approve', 'resume'];

/** Listed by user ID: decided without asking the Slack directory, so a slow or failing directory never locks them out. */
export const listedById = (policy: ServicePolicy, user: string): boolean => policy.approvers.users.includes(user);

/**
 * Who may do what on a release: only listed users and members of listed user groups, for every action.
 * `groupsOfUser` holds the listed groups the user belongs to; `deployers` everyone any hook of the run named.
 * A deployer may always stop their own release (reject, roll back, pause): stopping a bad release is never
 * refused for being its author. Moving traffic (approve, resume) needs someone else unless self-approval is allowed.
 */
export function mayDecide(
  policy: ServicePolicy,
  action: Action,
  user: string,
  groupsOfUser: readonly string[],
  deployers: readonly string[],
): Permission {
  const listed = listedById(policy, user) || groupsOfUser.some((g) => policy.approvers.groups.includes(g));
  if (!listed) {
    return {
      allowed: false,
      why: 'not-approver',
      reason: `you are not an approver for ${policy.service} (${describeApprovers(policy)})`,
    };
  }
  if (MOVES_TRAFFIC.includes(action) && !policy.allowSelfApproval && deployers.includes(user)) {
    const why = action === 'resume' ? 'resuming moves traffic again, so it needs' : 'it needs';
    return {
      allowed: false,
      why: 'self-approval',
      reason: `you deployed this release of ${policy.service}, and ${why} someone else's approval`,
    };
  }
  return { allowed: true };
}

/** The approvers as plain text (`approvers: @U0ALICE, @S0SRE`), for the audit trail; presenters make mentions. */
export function describeApprovers(policy: Pick<ServicePolicy, 'approvers'>): string {
  const names = [...policy.approvers.users, ...policy.approvers.groups].map((id) => `@${id}`);
  return names.length === 0 ? 'no approvers are configured' : `approvers: ${names.join(', ')}`;
}
