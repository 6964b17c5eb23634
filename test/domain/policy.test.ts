import fc from 'fast-check';
import { describeApprovers, listedById, mayDecide, needsHuman, type ServicePolicy } from '../../shared/domain/policy';
import { aPolicy } from '../../testkit/builders';

const withGates = (gates: Partial<ServicePolicy['gates']>): ServicePolicy => {
  const policy = aPolicy();
  return { ...policy, gates: { ...policy.gates, ...gates } };
};

describe('Function: needsHuman', () => {
  it.each([
    { weight: 0, expected: false },
    { weight: 10, expected: false },
    { weight: 29, expected: false },
    { weight: 30, expected: true },
    { weight: 40, expected: true },
    { weight: 100, expected: true },
  ])('asks people for a manual traffic step to $weight% (fromWeight 30): $expected', ({ weight, expected }) => {
    // Arrange
    const policy = withGates({ 'confirm-traffic-increase': { mode: 'manual', fromWeight: 30 } });

    // Act
    const result = needsHuman(policy, 'confirm-traffic-increase', weight);

    // Assert
    expect(result).toBe(expected);
  });

  it('asks people for every manual traffic step when fromWeight is 0', () => {
    // Arrange
    const policy = withGates({ 'confirm-traffic-increase': { mode: 'manual', fromWeight: 0 } });

    // Act
    const results = [0, 10, 50].map((w) => needsHuman(policy, 'confirm-traffic-increase', w));

    // Assert
    expect(results).toEqual([true, true, true]);
  });

  it('never asks people for an automatic traffic step, whatever fromWeight says', () => {
    // Arrange
    const policy = withGates({ 'confirm-traffic-increase': { mode: 'auto', fromWeight: 0 } });

    // Act
    const results = [0, 30, 100].map((w) => needsHuman(policy, 'confirm-traffic-increase', w));

    // Assert
    expect(results).toEqual([false, false, false]);
  });

  it.each([
    { gate: 'confirm-rollout' as const, mode: 'manual' as const, expected: true },
    { gate: 'confirm-rollout' as const, mode: 'auto' as const, expected: false },
    { gate: 'confirm-promotion' as const, mode: 'manual' as const, expected: true },
    { gate: 'confirm-promotion' as const, mode: 'auto' as const, expected: false },
  ])('follows the mode of $gate ($mode) regardless of weight', ({ gate, mode, expected }) => {
    // Arrange
    const policy = withGates({ [gate]: { mode } });

    // Act
    const results = [0, 100].map((w) => needsHuman(policy, gate, w));

    // Assert
    expect(results).toEqual([expected, expected]);
  });
});

describe('Function: mayDecide', () => {
  it('allows a listed user', () => {
    // Arrange
    const policy = aPolicy();

    // Act
    const permission = mayDecide(policy, 'approve', 'U0ALICE', [], ['U0DEPLOYER']);

    // Assert
    expect(permission).toEqual({ allowed: true });
  });

  it('allows a member of a listed group', () => {
    // Arrange
    const policy = aPolicy();

    // Act
    const permission = mayDecide(policy, 'approve', 'U0CAROL', ['S0SRE'], ['U0DEPLOYER']);

    // Assert
    expect(permission).toEqual({ allowed: true });
  });

  it('refuses a member of a group that is not listed, naming the approvers', () => {
    // Arrange
    const policy = aPolicy();

    // Act
    const permission = mayDecide(policy, 'approve', 'U0MALLORY', ['S0OTHER'], []);

    // Assert
    expect(permission).toEqual({
      allowed: false,
      why: 'not-approver',
      reason: 'you are not an approver for production/product-service (approvers: @U0ALICE, @U0BOB, @S0SRE)',
    });
  });

  it('says so when no approvers are configured', () => {
    // Arrange
    const policy = aPolicy({ approvers: { users: [], groups: [] } });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0ALICE', [], []);

    // Assert
    expect(permission).toEqual({
      allowed: false,
      why: 'not-approver',
      reason: 'you are not an approver for production/product-service (no approvers are configured)',
    });
  });

  it('refuses the deployer of the release when self-approval is not allowed', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0ALICE', [], ['U0ALICE']);

    // Assert
    expect(permission).toEqual({
      allowed: false,
      why: 'self-approval',
      reason: "you deployed this release of production/product-service, and it needs someone else's approval",
    });
  });

  it('refuses anyone any hook of the run named as deployer, not only the first', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0BOB', [], ['U0ALICE', 'U0BOB']);

    // Assert
    expect(permission.allowed).toBe(false);
  });

  it('refuses the deployer even when they approve through a group', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0CAROL', ['S0SRE'], ['U0CAROL']);

    // Assert
    expect(permission.allowed).toBe(false);
  });

  it('refuses the deployer a resume, which moves traffic again like an approval', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, 'resume', 'U0ALICE', [], ['U0ALICE']);

    // Assert
    expect(permission).toEqual({
      allowed: false,
      why: 'self-approval',
      reason:
        "you deployed this release of production/product-service, and resuming moves traffic again, so it needs someone else's approval",
    });
  });

  it.each(['reject', 'rollback', 'pause'] as const)('lets a listed deployer %s their own release', (action) => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, action, 'U0ALICE', [], ['U0ALICE']);

    // Assert
    expect(permission).toEqual({ allowed: true });
  });

  it.each(['reject', 'rollback', 'pause'] as const)('still refuses %s by an unlisted deployer', (action) => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: false });

    // Act
    const permission = mayDecide(policy, action, 'U0DEPLOYER', [], ['U0DEPLOYER']);

    // Assert
    expect(permission.allowed).toBe(false);
  });

  it('allows the deployer when the service allows self-approval', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: true });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0ALICE', [], ['U0ALICE']);

    // Assert
    expect(permission).toEqual({ allowed: true });
  });

  it('still refuses a non-listed deployer when self-approval is allowed', () => {
    // Arrange
    const policy = aPolicy({ allowSelfApproval: true });

    // Act
    const permission = mayDecide(policy, 'approve', 'U0DEPLOYER', [], ['U0DEPLOYER']);

    // Assert
    expect(permission.allowed).toBe(false);
  });

  it('never lets a deployer approve or resume, and never refuses a listed one stopping (property)', () => {
    const user = fc.constantFrom('U0ALICE', 'U0BOB', 'U0CAROL', 'U0MALLORY');
    fc.assert(
      fc.property(
        fc.constantFrom('approve', 'reject', 'rollback', 'pause', 'resume' as const),
        user,
        fc.subarray(['S0SRE', 'S0OTHER']),
        fc.array(user, { maxLength: 4 }),
        (action, who, groups, deployers) => {
          const permission = mayDecide(aPolicy(), action, who, groups, deployers);
          const listed = ['U0ALICE', 'U0BOB'].includes(who) || groups.includes('S0SRE');
          const movesTraffic = action === 'approve' || action === 'resume';
          return permission.allowed === (listed && !(movesTraffic && deployers.includes(who)));
        },
      ),
    );
  });
});

describe('Function: listedById', () => {
  it('is true only for a user listed by ID, never for a group member', () => {
    // Arrange
    const policy = aPolicy();

    // Act
    const results = ['U0ALICE', 'U0CAROL', 'S0SRE'].map((user) => listedById(policy, user));

    // Assert
    expect(results).toEqual([true, false, false]);
  });
});

describe('Function: describeApprovers', () => {
  it('lists users then groups as plain @IDs, for the audit trail (no chat markup)', () => {
    // Arrange
    const policy = aPolicy({ approvers: { users: ['U0A'], groups: ['S0B', 'S0C'] } });

    // Act
    const text = describeApprovers(policy);

    // Assert
    expect(text).toBe('approvers: @U0A, @S0B, @S0C');
  });

  it('says so when nobody is configured', () => {
    // Arrange
    const policy = aPolicy({ approvers: { users: [], groups: [] } });

    // Act
    const text = describeApprovers(policy);

    // Assert
    expect(text).toBe('no approvers are configured');
  });
});
