import type { Gate } from './gate';
import { isExpired } from './gate';
import type { ServicePolicy } from './policy';
import type { Run } from './release';
import { formatDuration } from './snapshot-text';

/** Who an escalation mentions: Slack user groups and users, by ID (from the configuration, never from free text). */
export interface EscalationTargets {
  users: string[];
  groups: string[];
}

/** Attempt `attempt` of a gate's request was escalated: when, to whom, and whether the mention reached the thread. */
export interface Escalation {
  attempt: number;
  at: string;
  to: EscalationTargets;
  /**
   * Set by the worker once the mention is in the thread (`markEscalationPosted`). Until then the Flagger path, which
   * reads the gate anyway, asks for it again: a crash between the mark and the job loses nothing.
   */
  posted?: boolean;
}

/** Why a waiting request is not escalated now, or the escalation to record. */
export type EscalationCheck =
  | { due: true; escalation: Escalation }
  | { due: false; why: 'not-configured' | 'decided' | 'expired' | 'escalated' | 'stopping' | 'too-early' };

/**
 * Is this request due for its one escalation? Only a pending request, at an attempt not escalated yet, of a run that
 * is neither ended nor rolling back, `escalateAfter` or more after its attempt opened, and before it expires (an
 * expired one is re-armed as a new request, which may be escalated in its turn).
 */
export function escalationDue(
  policy: Pick<ServicePolicy, 'escalateAfter' | 'escalateTo'>,
  run: Pick<Run, 'state' | 'rollback'>,
  gate: Gate,
  now: Date,
): EscalationCheck {
  const { escalateAfter, escalateTo } = policy;
  if (escalateAfter === undefined || escalateTo.users.length + escalateTo.groups.length === 0) {
    return { due: false, why: 'not-configured' };
  }
  if (gate.status !== 'pending') return { due: false, why: 'decided' };
  if (isExpired(gate, now)) return { due: false, why: 'expired' };
  if (gate.escalation?.attempt === gate.attempt) return { due: false, why: 'escalated' };
  if (run.state === 'ended' || run.rollback) return { due: false, why: 'stopping' };
  if (now.getTime() - Date.parse(gate.openedAt) < escalateAfter) return { due: false, why: 'too-early' };
  const to = { users: [...escalateTo.users], groups: [...escalateTo.groups] };
  return { due: true, escalation: { attempt: gate.attempt, at: now.toISOString(), to } };
}

/**
 * This attempt was escalated `afterMs` ago or more, the request still waits, and the worker never said the mention
 * was posted: its job was lost (a crash between the mark and the queue, a dropped job). Asking again costs no write.
 */
export const escalationLost = (gate: Gate, now: Date, afterMs: number): boolean =>
  gate.status === 'pending' &&
  !isExpired(gate, now) &&
  gate.escalation?.attempt === gate.attempt &&
  gate.escalation.posted !== true &&
  now.getTime() - Date.parse(gate.escalation.at) >= afterMs;

/** How long the request had waited when it was escalated. */
export const waitedMs = (gate: Pick<Gate, 'openedAt'>, escalation: Pick<Escalation, 'at'>): number =>
  Date.parse(escalation.at) - Date.parse(gate.openedAt);

/** The audit trail's plain text (no chat markup): who was mentioned, after how long, with how many approvals. */
export function escalationDetail(gate: Gate, escalation: Escalation, counted: number): string {
  const who = [...escalation.to.groups, ...escalation.to.users].map((id) => `@${id}`).join(', ');
  const waited = formatDuration(Math.round(waitedMs(gate, escalation) / 1000));
  return `escalated to ${who}: request ${gate.attempt} unanswered for ${waited} (${counted}/${gate.quorum} approvals), expires at ${gate.expiresAt}`;
}
