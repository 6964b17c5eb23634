import { escalationDetail, escalationDue, escalationLost } from '../../shared/domain/escalation';
import { aGate, aPolicy, aRun } from '../../testkit/builders';

// aGate() opens at 10:00 and expires at 11:00; the policy escalates after 30 minutes.
const at = (hhmm: string) => new Date(`2025-03-04T${hhmm}:00.000Z`);
const TO = { users: ['U0ONCALL01'], groups: ['S0SRE00001'] };
const policy = aPolicy({ escalateAfter: 30 * 60_000, escalateTo: TO });
const run = aRun({ state: 'progressing', phase: 'WaitingPromotion' });

describe('Function: escalationDue', () => {
  it('is not due before escalateAfter has passed', () => {
    expect(escalationDue(policy, run, aGate(), at('10:29'))).toEqual({ due: false, why: 'too-early' });
  });

  it('is due at escalateAfter, for this attempt, to the configured people', () => {
    const check = escalationDue(policy, run, aGate({ attempt: 3, openedAt: '2025-03-04T10:00:00.000Z' }), at('10:30'));

    expect(check).toEqual({ due: true, escalation: { attempt: 3, at: '2025-03-04T10:30:00.000Z', to: TO } });
  });

  it('counts from the opening of the current attempt, not of the first one', () => {
    const rearmed = aGate({ attempt: 2, openedAt: '2025-03-04T10:20:00.000Z', expiresAt: '2025-03-04T11:20:00.000Z' });

    expect(escalationDue(policy, run, rearmed, at('10:45'))).toEqual({ due: false, why: 'too-early' });
    expect(escalationDue(policy, run, rearmed, at('10:50')).due).toBe(true);
  });

  it('is not due again once this attempt was escalated', () => {
    const escalated = aGate({ escalation: { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO } });

    expect(escalationDue(policy, run, escalated, at('10:45'))).toEqual({ due: false, why: 'escalated' });
  });

  it('is due for a new attempt although an earlier attempt was escalated', () => {
    const gate = aGate({ attempt: 2, escalation: { attempt: 1, at: '2025-03-04T09:30:00.000Z', to: TO } });

    expect(escalationDue(policy, run, gate, at('10:31')).due).toBe(true);
  });

  it.each([
    ['approved', aGate({ status: 'approved', decidedAt: '2025-03-04T10:10:00.000Z' })],
    [
      'rejected',
      aGate({ status: 'rejected', rejection: { by: 'U0BOB', at: '2025-03-04T10:10:00.000Z', reason: 'x' } }),
    ],
  ])('is never due for a request that was %s', (_status, gate) => {
    expect(escalationDue(policy, run, gate, at('10:45'))).toEqual({ due: false, why: 'decided' });
  });

  it('is not due for a request that has expired (it is asked again as a new request)', () => {
    expect(escalationDue(policy, run, aGate(), at('11:00'))).toEqual({ due: false, why: 'expired' });
  });

  it.each([
    [
      'rolling back',
      aRun({ state: 'progressing', rollback: { by: 'U0BOB', at: '2025-03-04T10:05:00.000Z', reason: 'x' } }),
    ],
    ['ended', aRun({ state: 'ended' })],
  ])('is not due while the release is %s', (_what, stopping) => {
    expect(escalationDue(policy, stopping, aGate(), at('10:45'))).toEqual({ due: false, why: 'stopping' });
  });

  it('is never due without escalateAfter, or with nobody to mention', () => {
    const without = aPolicy({ escalateTo: TO });
    const nobody = aPolicy({ escalateAfter: 60_000, escalateTo: { users: [], groups: [] } });

    expect(escalationDue(without, run, aGate(), at('10:59'))).toEqual({ due: false, why: 'not-configured' });
    expect(escalationDue(nobody, run, aGate(), at('10:59'))).toEqual({ due: false, why: 'not-configured' });
  });
});

describe('Function: escalationLost', () => {
  const marked = aGate({ escalation: { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO } });

  it('is true once the mark is older than the repost delay and the worker never said it posted', () => {
    expect(escalationLost(marked, at('10:30'), 5_000)).toBe(false);
    expect(escalationLost(marked, at('10:31'), 5_000)).toBe(true);
  });

  it('is false once posted, for an earlier attempt, or for a request that no longer waits', () => {
    const posted = aGate({ escalation: { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO, posted: true } });
    const earlier = aGate({ attempt: 2, escalation: { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO } });
    const decided = { ...marked, status: 'approved' as const };

    expect([posted, earlier, decided].map((gate) => escalationLost(gate, at('10:40'), 5_000))).toEqual([
      false,
      false,
      false,
    ]);
    expect(escalationLost(marked, at('11:00'), 5_000)).toBe(false);
  });
});

describe('Function: escalationDetail', () => {
  it('says who was mentioned, after how long and with how many approvals, in plain text', () => {
    const gate = aGate({ quorum: 2 });

    const detail = escalationDetail(gate, { attempt: 1, at: '2025-03-04T10:30:00.000Z', to: TO }, 1);

    expect(detail).toBe(
      'escalated to @S0SRE00001, @U0ONCALL01: request 1 unanswered for 30 min (1/2 approvals), expires at 2025-03-04T11:00:00.000Z',
    );
    expect(detail).not.toMatch(/[<>]/);
  });
});
