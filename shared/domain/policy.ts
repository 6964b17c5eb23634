import type { GateType, ServiceId } from './flagger';
import type { MetricName } from './snapshot';

export type GateMode = 'auto' | 'slo' | 'manual';

/** Everything the bot knows about one Canary, after defaults are applied. */
export interface ServicePolicy {
  service: ServiceId;
  channel: string;
  cluster?: string;
  approvers: { users: string[]; groups: string[] };
  quorum: number;
  /** How long an approval request stays open, in ms. */
  approvalExpiry: number;
  allowSelfApproval: boolean;
  slo: { successRate: number; p95LatencyMs: number; errorRate: number };
  gates: {
    'confirm-rollout': { mode: GateMode };
    'confirm-traffic-increase': { mode: GateMode; fromWeight: number };
    'confirm-promotion': { mode: GateMode };
  };
  analysis: { stepWeight: number; maxWeight: number };
  /** The canary Deployment (the Canary's targetRef); its primary is `<target>-primary`. */
  target: string;
  metrics: { interval: string; window: number; step: number; queries: Partial<Record<MetricName, string>> };
}

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
 * The weight Flagger moves to when it passes confirm-traffic-increase at `currentWeight`: while below maxWeight it
 * adds stepWeight, capped at 100, not at maxWeight (step 20, max 50: 20, 40, 60).
 */
export function nextWeight(policy: ServicePolicy, currentWeight: number): number {
  if (currentWeight >= policy.analysis.maxWeight) return currentWeight;
  return Math.min(currentWeight + policy.analysis.stepWeight, 100);
}

export type Permission = { allowed: true } | { allowed: false; reason: string };

/**
 * Who may decide on a release: listed users and members of listed user groups; the person who deployed it
 * only where the service allows self-approval. `groupsOfUser` holds the listed groups the user belongs to.
 */
export function mayDecide(
  policy: ServicePolicy,
  user: string,
  groupsOfUser: readonly string[],
  deployedBy: string | undefined,
): Permission {
  const listed = policy.approvers.users.includes(user) || groupsOfUser.some((g) => policy.approvers.groups.includes(g));
  if (!listed) {
    return { allowed: false, reason: `you are not an approver for ${policy.service} (${describeApprovers(policy)})` };
  }
  if (!policy.allowSelfApproval && deployedBy !== undefined && deployedBy === user) {
    return {
      allowed: false,
      reason: `you deployed this release of ${policy.service}, and it needs someone else's approval`,
    };
  }
  return { allowed: true };
}

export function describeApprovers(policy: ServicePolicy): string {
  const names = [
    ...policy.approvers.users.map((u) => `<@${u}>`),
    ...policy.approvers.groups.map((g) => `<!subteam^${g}>`),
  ];
  return names.length === 0 ? 'no approvers are configured' : `approvers: ${names.join(', ')}`;
}
