import type { GateType, ServiceId } from './flagger';
import type { ServicePolicy } from './policy';
import type { Run } from './release';

/**
 * One approval request: a gate of one run (for confirm-traffic-increase, one weight step).
 * An expired request is re-armed as a new attempt; approvals never carry over between attempts.
 */
export interface Gate {
  service: ServiceId;
  run: number;
  /** `confirm-promotion`, `confirm-rollout` or `confirm-traffic-increase@30`. */
  key: string;
  gate: GateType;
  targetWeight?: number;
  attempt: number;
  status: 'pending' | 'approved' | 'rejected';
  openedAt: string;
  expiresAt: string;
  quorum: number;
  /** user ID -> when they approved */
  approvals: Record<string, string>;
  rejection?: { by: string; at: string; reason: string };
  decidedAt?: string;
  /** What approvers were shown when the request opened; copied into every audit entry about it. */
  evidence: string;
}

export const gateKey = (gate: GateType, targetWeight: number | undefined): string =>
  gate === 'confirm-traffic-increase' ? `${gate}@${targetWeight ?? 0}` : gate;

export function openGate(
  policy: ServicePolicy,
  run: Run,
  gate: GateType,
  targetWeight: number | undefined,
  now: Date,
): Gate {
  const opened: Gate = {
    service: run.service,
    run: run.number,
    key: gateKey(gate, targetWeight),
    gate,
    attempt: 1,
    status: 'pending',
    openedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + policy.approvalExpiry).toISOString(),
    quorum: policy.quorum,
    approvals: {},
    evidence: describeRelease(run, gate, targetWeight),
  };
  if (targetWeight !== undefined && gate === 'confirm-traffic-increase') opened.targetWeight = targetWeight;
  return opened;
}

export const approvalCount = (gate: Gate): number => Object.keys(gate.approvals).length;
export const quorumReached = (gate: Gate): boolean => approvalCount(gate) >= gate.quorum;
export const isExpired = (gate: Gate, now: Date): boolean =>
  gate.status === 'pending' && now.getTime() >= Date.parse(gate.expiresAt);

export function rearm(gate: Gate, policy: ServicePolicy, now: Date): Gate {
  return {
    ...gate,
    attempt: gate.attempt + 1,
    approvals: {},
    openedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + policy.approvalExpiry).toISOString(),
  };
}

export function gateTitle(gate: Pick<Gate, 'gate' | 'targetWeight'>): string {
  switch (gate.gate) {
    case 'confirm-rollout':
      return 'start the canary analysis';
    case 'confirm-traffic-increase':
      return `shift ${gate.targetWeight ?? '?'}% of traffic to the canary`;
    case 'confirm-promotion':
      return 'promote the canary to primary';
  }
}

function describeRelease(run: Run, gate: GateType, targetWeight: number | undefined): string {
  const parts = [`phase ${run.phase}`, `canary weight ${run.weight}%`];
  if (gate === 'confirm-traffic-increase') parts.push(`next step ${targetWeight}%`);
  if (run.checksum) parts.push(`revision ${run.checksum.slice(0, 12)}`);
  if (run.deployedBy) parts.push(`deployed by ${run.deployedBy}`);
  return parts.join(', ');
}
