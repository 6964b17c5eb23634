import fc from 'fast-check';
import {
  approvalCount,
  expiredSentence,
  gateKey,
  gateTitle,
  isExpired,
  lateDecision,
  openGate,
  quorumReached,
  rearm,
  requestGateKeys,
} from '../../shared/domain/gate';
import type { ServicePolicy } from '../../shared/domain/policy';
import { aGate, aRun, aPolicy as basePolicy } from '../../testkit/builders';

const HOUR = 3_600_000;
const NOW = new Date('2025-03-04T10:00:00.000Z');

const aPolicy = (overrides: Partial<ServicePolicy> = {}): ServicePolicy =>
  basePolicy({
    service: 'payments/api',
    approvers: { users: ['U0APPROVER'], groups: [] },
    quorum: 2,
    approvalExpiry: 2 * HOUR,
    ...overrides,
  });

const progressingRun = () =>
  aRun({ state: 'progressing', phase: 'Progressing', weight: 20, checksum: 'sha256:0123456789abcdef0123' });

describe('Function: gateKey', () => {
  it.each([
    { gate: 'confirm-rollout' as const, weight: undefined, key: 'confirm-rollout' },
    { gate: 'confirm-rollout' as const, weight: 30, key: 'confirm-rollout' },
    { gate: 'confirm-promotion' as const, weight: 50, key: 'confirm-promotion' },
    { gate: 'confirm-traffic-increase' as const, weight: 30, key: 'confirm-traffic-increase@30' },
    { gate: 'confirm-traffic-increase' as const, weight: 100, key: 'confirm-traffic-increase@100' },
    { gate: 'confirm-traffic-increase' as const, weight: undefined, key: 'confirm-traffic-increase@0' },
  ])('keys $gate at weight $weight as $key', ({ gate, weight, key }) => {
    // Arrange
    const args = [gate, weight] as const;

    // Act
    const result = gateKey(...args);

    // Assert
    expect(result).toBe(key);
  });

  it('gives every traffic step of a release its own key', () => {
    // Arrange
    const weights = [10, 20, 30, 40, 50];

    // Act
    const keys = new Set(weights.map((w) => gateKey('confirm-traffic-increase', w)));

    // Assert
    expect(keys.size).toBe(weights.length);
  });
});

describe('Function: requestGateKeys', () => {
  const gates = (
    traffic: { mode: 'auto' | 'manual'; fromWeight: number },
    promotion: 'auto' | 'manual' = 'manual',
  ) => ({
    ...aPolicy().gates,
    'confirm-traffic-increase': traffic,
    'confirm-promotion': { mode: promotion },
  });

  it('names the manual traffic steps on the timeline, from fromWeight (step 20, max 50: 20, 40, 60)', () => {
    const policy = aPolicy({
      gates: gates({ mode: 'manual', fromWeight: 40 }),
      analysis: { stepWeight: 20, maxWeight: 50 },
    });

    expect(requestGateKeys(policy, 'confirm-traffic-increase')).toEqual([
      'confirm-traffic-increase@40',
      'confirm-traffic-increase@60',
    ]);
  });

  it('names a manual gate, and nothing for an automatic one or a hook that is not a gate', () => {
    const policy = aPolicy({ gates: gates({ mode: 'auto', fromWeight: 0 }, 'manual') });

    expect(requestGateKeys(policy, 'confirm-promotion')).toEqual(['confirm-promotion']);
    expect(requestGateKeys(policy, 'confirm-traffic-increase')).toEqual([]);
    expect(requestGateKeys(policy, 'rollout')).toEqual([]);
  });

  it('stays bounded for a timeline of one-percent steps', () => {
    const policy = aPolicy({
      gates: gates({ mode: 'manual', fromWeight: 0 }),
      analysis: { stepWeight: 1, maxWeight: 100 },
    });

    expect(requestGateKeys(policy, 'confirm-traffic-increase')).toHaveLength(20);
  });
});

describe('Function: openGate', () => {
  it('opens a pending first attempt that expires after the policy expiry', () => {
    // Arrange
    const policy = aPolicy({ approvalExpiry: 30 * 60_000, quorum: 3 });

    // Act
    const gate = openGate(policy, progressingRun(), 'confirm-promotion', undefined, NOW);

    // Assert
    expect(gate).toEqual({
      service: 'payments/api',
      run: 1,
      key: 'confirm-promotion',
      gate: 'confirm-promotion',
      attempt: 1,
      status: 'pending',
      openedAt: '2025-03-04T10:00:00.000Z',
      expiresAt: '2025-03-04T10:30:00.000Z',
      quorum: 3,
      approvals: {},
      evidence: 'phase Progressing, canary weight 20%, revision sha256:01234',
    });
  });

  it('keeps the target weight of a traffic step and shows it in the evidence', () => {
    // Arrange
    const run = { ...progressingRun(), deployedBy: 'U0DEPLOYER' };

    // Act
    const gate = openGate(aPolicy(), run, 'confirm-traffic-increase', 30, NOW);

    // Assert
    expect(gate.key).toBe('confirm-traffic-increase@30');
    expect(gate.targetWeight).toBe(30);
    expect(gate.evidence).toBe(
      'phase Progressing, canary weight 20%, next step 30%, revision sha256:01234, deployed by U0DEPLOYER',
    );
  });

  it('ignores a target weight on a gate that is not a traffic step', () => {
    // Arrange
    const run = progressingRun();

    // Act
    const gate = openGate(aPolicy(), run, 'confirm-promotion', 50, NOW);

    // Assert
    expect(gate).not.toHaveProperty('targetWeight');
    expect(gate.evidence).not.toContain('next step');
  });

  it('says nothing about a revision before the run is bound to one', () => {
    // Arrange
    const run = aRun({ phase: 'Waiting' });

    // Act
    const gate = openGate(aPolicy(), run, 'confirm-rollout', undefined, NOW);

    // Assert
    expect(gate.evidence).toBe('phase Waiting, canary weight 0%');
  });

  it('shows the iteration a blue-green or A/B release reached, which is its progress', () => {
    const run = aRun({ phase: 'WaitingPromotion', iteration: { done: 10, of: 10 } });

    const gate = openGate(aPolicy(), run, 'confirm-promotion', undefined, NOW);

    expect(gate.evidence).toBe('phase WaitingPromotion, canary weight 0%, iteration 10/10');
  });
});

describe('Function: quorumReached', () => {
  it.each<{ approvals: Record<string, string>; quorum: number; reached: boolean }>([
    { approvals: {}, quorum: 1, reached: false },
    { approvals: { U1: 'a' }, quorum: 1, reached: true },
    { approvals: { U1: 'a' }, quorum: 2, reached: false },
    { approvals: { U1: 'a', U2: 'b' }, quorum: 2, reached: true },
    { approvals: { U1: 'a', U2: 'b', U3: 'c' }, quorum: 2, reached: true },
  ])('is $reached with $approvals for a quorum of $quorum', ({ approvals, quorum, reached }) => {
    // Arrange
    const gate = aGate({ approvals, quorum });

    // Act
    const result = quorumReached(gate);

    // Assert
    expect(result).toBe(reached);
    expect(approvalCount(gate)).toBe(Object.keys(approvals).length);
  });
});

describe('Function: isExpired', () => {
  const expiresAt = '2025-03-04T11:00:00.000Z';

  it.each([
    { status: 'pending' as const, now: '2025-03-04T10:59:59.999Z', expired: false },
    { status: 'pending' as const, now: '2025-03-04T11:00:00.000Z', expired: true },
    { status: 'pending' as const, now: '2025-03-05T00:00:00.000Z', expired: true },
    { status: 'approved' as const, now: '2025-03-05T00:00:00.000Z', expired: false },
    { status: 'rejected' as const, now: '2025-03-05T00:00:00.000Z', expired: false },
  ])('is $expired for a $status gate at $now', ({ status, now, expired }) => {
    // Arrange
    const gate = aGate({ status, expiresAt });

    // Act
    const result = isExpired(gate, new Date(now));

    // Assert
    expect(result).toBe(expired);
  });
});

describe('Function: openGate evidence', () => {
  it('cuts a deployer name of any length from the webhook metadata', () => {
    // Arrange
    const run = { ...progressingRun(), deployedBy: 'd'.repeat(10_000) };

    // Act
    const gate = openGate(aPolicy(), run, 'confirm-promotion', undefined, NOW);

    // Assert
    expect(gate.evidence).toContain(`deployed by ${'d'.repeat(64)}… (9936 more characters cut)`);
    expect(gate.evidence.length).toBeLessThan(250);
  });
});

describe('Function: expiredSentence', () => {
  it('says when the request expired and that Flagger will ask again', () => {
    // Arrange
    const gate = aGate({ expiresAt: '2025-03-04T14:05:00.000Z' });

    // Act
    const sentence = expiredSentence(gate, new Date('2025-03-04T14:30:00.000Z'));

    // Assert
    expect(sentence).toBe(
      "This request expired at 14:05 UTC without a decision; Flagger's next check will ask again with a new request.",
    );
  });

  it('names the day when the request expired on another day', () => {
    // Arrange
    const gate = aGate({ expiresAt: '2025-03-04T23:55:00.000Z' });

    // Act
    const sentence = expiredSentence(gate, new Date('2025-03-05T08:00:00.000Z'));

    // Assert
    expect(sentence).toContain('expired at 23:55 UTC on 2025-03-04 without a decision');
  });
});

describe('Function: lateDecision', () => {
  const NOW_ = new Date('2025-03-04T10:30:00.000Z');
  const rejected = aGate({ status: 'rejected', rejection: { by: 'U0BOB', at: 'x', reason: 'latency' } });
  const approved = aGate({ status: 'approved', approvals: { U0ALICE: 'x' } });

  it.each([
    {
      name: 'an approval by someone who approved',
      gate: approved,
      user: 'U0ALICE',
      action: 'approve' as const,
      outcome: 'duplicate',
      why: 'same',
    },
    {
      name: 'an approval by someone else',
      gate: approved,
      user: 'U0CAROL',
      action: 'approve' as const,
      outcome: 'refused',
      why: 'approved',
    },
    {
      name: 'a rejection of an approved gate',
      gate: approved,
      user: 'U0BOB',
      action: 'reject' as const,
      outcome: 'refused',
      why: 'approved',
    },
    {
      name: 'a rejection by the rejector',
      gate: rejected,
      user: 'U0BOB',
      action: 'reject' as const,
      outcome: 'duplicate',
      why: 'same',
    },
    {
      name: 'an approval of a rejected gate',
      gate: rejected,
      user: 'U0ALICE',
      action: 'approve' as const,
      outcome: 'refused',
      why: 'rejected',
    },
    {
      name: 'an approval that approved a gate a rejection won',
      gate: { ...rejected, approvals: { U0ALICE: 'x' } },
      user: 'U0ALICE',
      action: 'approve' as const,
      outcome: 'refused',
      why: 'rejected',
    },
    {
      name: 'a decision on an expired request',
      gate: aGate({ expiresAt: '2025-03-04T10:00:00.000Z' }),
      user: 'U0ALICE',
      action: 'approve' as const,
      outcome: 'refused',
      why: 'expired',
    },
    {
      name: 'a decision on a replaced request',
      gate: aGate({ attempt: 2 }),
      user: 'U0ALICE',
      action: 'reject' as const,
      outcome: 'refused',
      why: 'replaced',
    },
    {
      name: 'a decision on a missing request',
      gate: undefined,
      user: 'U0ALICE',
      action: 'reject' as const,
      outcome: 'refused',
      why: 'missing',
    },
  ])('records $name as $outcome ($why)', ({ gate, user, action, outcome, why }) => {
    // Act
    const result = lateDecision(gate, 1, user, action, NOW_);

    // Assert
    expect(result).toEqual({ outcome, why });
  });
});

describe('Function: rearm', () => {
  it('asks again as the next attempt, without the approvals of the last one', () => {
    // Arrange
    const gate = aGate({ attempt: 2, approvals: { U0FIRST: '2025-03-04T10:05:00.000Z' }, quorum: 2 });
    const later = new Date('2025-03-04T12:00:00.000Z');

    // Act
    const next = rearm(gate, aPolicy({ approvalExpiry: HOUR }), later);

    // Assert
    expect(next).toEqual({
      ...gate,
      attempt: 3,
      approvals: {},
      openedAt: '2025-03-04T12:00:00.000Z',
      expiresAt: '2025-03-04T13:00:00.000Z',
    });
    expect(gate.approvals).toEqual({ U0FIRST: '2025-03-04T10:05:00.000Z' });
  });

  it('is no longer expired right after re-arming', () => {
    // Arrange
    const gate = aGate({ expiresAt: '2025-03-04T11:00:00.000Z' });
    const later = new Date('2025-03-04T11:30:00.000Z');

    // Act
    const next = rearm(gate, aPolicy(), later);

    // Assert
    expect(isExpired(gate, later)).toBe(true);
    expect(isExpired(next, later)).toBe(false);
  });

  it('always increments the attempt by one and expires exactly one expiry after now (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 7 * 24 * HOUR }),
        fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        (attempt, expiry, now) => {
          const next = rearm(aGate({ attempt, approvals: { U1: 'x' } }), aPolicy({ approvalExpiry: expiry }), now);
          return (
            next.attempt === attempt + 1 &&
            approvalCount(next) === 0 &&
            Date.parse(next.expiresAt) - now.getTime() === expiry
          );
        },
      ),
    );
  });
});

describe('Function: gateTitle', () => {
  it.each([
    { gate: { gate: 'confirm-rollout' as const }, title: 'start the canary analysis' },
    {
      gate: { gate: 'confirm-traffic-increase' as const, targetWeight: 30 },
      title: 'shift 30% of traffic to the canary',
    },
    { gate: { gate: 'confirm-promotion' as const }, title: 'promote the canary to primary' },
  ])('describes $gate.gate as "$title"', ({ gate, title }) => {
    // Arrange
    const input = gate;

    // Act
    const result = gateTitle(input);

    // Assert
    expect(result).toBe(title);
  });
});
