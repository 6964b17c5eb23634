import { bounded, TEXT_LIMITS } from './bounds';
import type { Escalation } from './escalation';
import type { GateType, ServiceId } from './flagger';
import { analysisOf, gateMode, type ServicePolicy } from './policy';
import type { Run } from './release';
import { weightSteps } from './strategy';

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
  /**
   * The attempt whose approval request the worker posted (`markRequestPosted`); absent: none yet. Kept on the gate
   * itself so the Flagger path, which reads the gate anyway, sees a request that was never posted and asks again.
   */
  requestPosted?: number;
  /** The attempt whose request was escalated (`markEscalated`), and when, to whom; one per attempt. */
  escalation?: Escalation;
}

export const gateKey = (gate: GateType, targetWeight: number | undefined): string =>
  gate === 'confirm-traffic-increase' ? `${gate}@${targetWeight ?? 0}` : gate;

/**
 * The gates of a run a call of `hook` may answer from with an approval request: its own, or for traffic steps one per
 * step on the config's timeline that waits for people. A step off that timeline (the live Canary steps otherwise,
 * or Flagger's weight moved otherwise) is read when it comes; an automatic gate reads none.
 */
export function requestGateKeys(policy: ServicePolicy, hook: string): string[] {
  if (hook === 'confirm-rollout' || hook === 'confirm-promotion')
    return policy.gates[hook].mode === 'manual' ? [hook] : [];
  if (hook !== 'confirm-traffic-increase') return [];
  return weightSteps(analysisOf(policy))
    .filter((weight) => gateMode(policy, hook, weight) === 'manual')
    .map((weight) => gateKey(hook, weight));
}

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

/** Why an expired request is refused, said the moment someone decides on it: Flagger's next check re-arms it. */
export const expiredSentence = (gate: Pick<Gate, 'expiresAt'>, now: Date): string =>
  `This request expired at ${utcTime(gate.expiresAt, now)} without a decision; Flagger's next check will ask again with a new request.`;

/** `14:05 UTC`, with the date when it is not the day of `now`. */
const utcTime = (iso: string, now: Date): string => {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return 'an unknown time';
  const day = at.toISOString().slice(0, 10);
  const sameDay = now.toISOString().slice(0, 10) === day;
  return `${at.toISOString().slice(11, 16)} UTC${sameDay ? '' : ` on ${day}`}`;
};

/**
 * What an approval or rejection means when it arrives at a gate that is no longer pending at its attempt:
 * - `duplicate`: this person's decision is the one that holds (a retry, a second click);
 * - `refused`: someone else decided first (the loser of a race), or the request expired or was replaced.
 */
export function lateDecision(
  gate: Gate | undefined,
  attempt: number,
  user: string,
  action: 'approve' | 'reject',
  now: Date,
): { outcome: 'duplicate' | 'refused'; why: 'same' | 'approved' | 'rejected' | 'expired' | 'replaced' | 'missing' } {
  if (!gate) return { outcome: 'refused', why: 'missing' };
  if (gate.attempt !== attempt) return { outcome: 'refused', why: 'replaced' };
  if (gate.status === 'pending') return { outcome: 'refused', why: isExpired(gate, now) ? 'expired' : 'replaced' };
  const same =
    action === 'approve' ? gate.status === 'approved' && user in gate.approvals : gate.rejection?.by === user;
  return same ? { outcome: 'duplicate', why: 'same' } : { outcome: 'refused', why: gate.status };
}

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
  // Blue-green and A/B testing: how far the analysis got is its iteration, not a weight.
  if (run.iteration) parts.push(`iteration ${run.iteration.done}/${run.iteration.of}`);
  if (gate === 'confirm-traffic-increase') parts.push(`next step ${targetWeight}%`);
  if (run.checksum) parts.push(`revision ${run.checksum.slice(0, 12)}`);
  // Webhook metadata is free text: cut, so the evidence copied into every audit entry stays small.
  if (run.deployedBy) parts.push(`deployed by ${bounded(run.deployedBy, TEXT_LIMITS.deployer)}`);
  return parts.join(', ');
}
