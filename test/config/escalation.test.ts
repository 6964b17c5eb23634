import { loadConfig } from '../../shared/config/load';
import { configError, lineOf, minimal, policyOf, problemAbout, SERVICE, SHIPPED, writeConfig } from './config-files';

const MANUAL = ['approvers: { users: [U0APPROVER1] }', 'gates: { confirm-promotion: manual }'];

describe('Configuration: escalateAfter and escalateTo', () => {
  it('ships an escalation to a user group after 30 minutes, well inside the 2 h expiry', () => {
    // Arrange
    const file = SHIPPED;

    // Act
    const policy = policyOf(loadConfig(file));

    // Assert
    expect(policy.escalateAfter).toBe(30 * 60_000);
    expect(policy.escalateTo.groups).toHaveLength(1);
    expect(policy.escalateAfter ?? Infinity).toBeLessThan(policy.approvalExpiry);
  });

  it('resolves a service without escalation to none: no delay, nobody to mention', () => {
    // Arrange
    const file = writeConfig(minimal(MANUAL));

    // Act
    const policy = policyOf(loadConfig(file));

    // Assert
    expect(policy.escalateAfter).toBeUndefined();
    expect(policy.escalateTo).toEqual({ users: [], groups: [] });
  });

  it('takes each field from defaults where the service does not set it, and the service own where it does', () => {
    // Arrange
    const head = ['defaults:', '  escalateAfter: 30m', '  escalateTo: { groups: [S0SRE00001] }'];
    const text = [
      ...head,
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      ...MANUAL.map((l) => `    ${l}`),
      '  production/payment-service:',
      '    channel: C0PAYMENTS1',
      ...MANUAL.map((l) => `    ${l}`),
      '    escalateAfter: 1h',
      '    escalateTo: { users: [U0ONCALL01], groups: [S0PAYMENTS] }',
      '',
    ].join('\n');

    // Act
    const config = loadConfig(writeConfig(text));

    // Assert
    expect(policyOf(config)).toMatchObject({
      escalateAfter: 30 * 60_000,
      escalateTo: { users: [], groups: ['S0SRE00001'] },
    });
    expect(policyOf(config, 'production/payment-service')).toMatchObject({
      escalateAfter: 3_600_000,
      escalateTo: { users: ['U0ONCALL01'], groups: ['S0PAYMENTS'] },
    });
  });

  it('refuses an escalateAfter that is not shorter than the expiry, with the line', () => {
    // Arrange
    const text = minimal([
      ...MANUAL,
      'approvalExpiry: 1h',
      'escalateAfter: 1h',
      'escalateTo: { groups: [S0SRE00001] }',
    ]);

    // Act
    const { error } = configError(text);

    // Assert
    const problem = problemAbout(error, `services.${SERVICE}.escalateAfter`);
    expect(problem).toContain('escalateAfter 1 h must be shorter than approvalExpiry 1 h');
    expect(problem).toContain('the request would expire before anyone is mentioned');
    expect(problem).toContain(`(line ${lineOf(text, 'escalateAfter: 1h')})`);
  });

  it('refuses a service expiry shorter than the default escalateAfter, at the service expiry', () => {
    // Arrange
    const head = ['defaults:', '  escalateAfter: 45m', '  escalateTo: { groups: [S0SRE00001] }'];
    const text = minimal([...MANUAL, 'approvalExpiry: 30m'], head);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.approvalExpiry`)).toContain(
      'escalateAfter 45 min must be shorter than approvalExpiry 30 min',
    );
  });

  it('reports a too-late default once, under defaults, not once per service', () => {
    // Arrange
    const head = [
      'defaults:',
      '  approvalExpiry: 20m',
      '  escalateAfter: 20m',
      '  escalateTo: { groups: [S0SRE00001] }',
    ];
    const text = minimal(MANUAL, head);

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.problems.filter((p) => p.includes('must be shorter than approvalExpiry'))).toEqual([
      expect.stringMatching(/^defaults\.escalateAfter \(line 3\): escalateAfter 20 min must be shorter/),
    ]);
  });

  it('refuses an escalateAfter with nobody to mention', () => {
    // Arrange
    const text = minimal([...MANUAL, 'escalateAfter: 30m']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.escalateAfter`)).toContain(
      'escalateAfter needs escalateTo with at least one user group (S0123ABCD) or user (U0123ABCD) to mention',
    );
  });

  it('refuses a service escalateTo that nothing ever mentions (no escalateAfter anywhere)', () => {
    // Arrange
    const text = minimal([...MANUAL, 'escalateTo: { users: [U0ONCALL01] }']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.escalateTo`)).toContain('escalateTo needs escalateAfter');
  });

  it.each([
    ['a broadcast written as a user', 'escalateTo: { users: ["@channel"] }', 'escalateTo.users.0', 'a Slack user ID'],
    ['@here written as a group', 'escalateTo: { groups: ["!here"] }', 'escalateTo.groups.0', 'a Slack user-group ID'],
    ['a name instead of a group ID', 'escalateTo: { groups: [sre-oncall] }', 'escalateTo.groups.0', 'user-group ID'],
    ['a group ID among the users', 'escalateTo: { users: [S0SRE00001] }', 'escalateTo.users.0', 'a Slack user ID'],
  ])('refuses %s: mentions are made from IDs only', (_name, line, path, message) => {
    // Arrange
    const text = minimal([...MANUAL, 'escalateAfter: 30m', line]);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.${path}`)).toContain(message);
  });

  it('refuses an escalateAfter that is not a duration', () => {
    // Arrange
    const text = minimal([...MANUAL, 'escalateAfter: soon', 'escalateTo: { groups: [S0SRE00001] }']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.escalateAfter`)).toContain('"soon" is not a duration');
  });
});
