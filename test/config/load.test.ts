import { dirname, join } from 'node:path';
import { loadConfig } from '../../shared/config/load';
import { ConfigError } from '../../shared/domain/errors';
import { configError, lineOf, minimal, policyOf, problemAbout, SERVICE, SHIPPED, writeConfig } from './config-files';

describe('Function: loadConfig (shipped config/release-bot.yaml)', () => {
  it('describes production/product-service with a manual promotion gate', () => {
    // Arrange
    const file = SHIPPED;

    // Act
    const config = loadConfig(file);

    // Assert
    const policy = policyOf(config);
    expect(config.file).toBe(file);
    expect([...config.services.keys()]).toContain(SERVICE);
    expect(policy.service).toBe(SERVICE);
    expect(policy.channel).toMatch(/^C[A-Z0-9]+$/);
    expect(policy.gates['confirm-promotion']).toEqual({ mode: 'manual' });
    expect(policy.gates['confirm-rollout']).toEqual({ mode: 'auto' });
    expect(policy.gates['confirm-traffic-increase']).toEqual({ mode: 'auto', fromWeight: 0 });
  });

  it('names at least one approver, enough for the quorum', () => {
    // Arrange
    const file = SHIPPED;

    // Act
    const policy = policyOf(loadConfig(file));

    // Assert
    expect(policy.approvers.users.length + policy.approvers.groups.length).toBeGreaterThanOrEqual(1);
    expect(policy.approvers.users.length).toBeGreaterThanOrEqual(policy.quorum);
  });

  it('applies the design SLOs 99 / 500 / 1 and a conservative approval policy', () => {
    // Arrange
    const file = SHIPPED;

    // Act
    const policy = policyOf(loadConfig(file));

    // Assert
    expect(policy.slo).toEqual({ successRate: 99, p95LatencyMs: 500, errorRate: 1 });
    expect(policy.quorum).toBe(1);
    expect(policy.approvalExpiry).toBe(2 * 3_600_000);
    expect(policy.allowSelfApproval).toBe(false);
    expect(policy.analysis).toEqual({ stepWeight: 10, maxWeight: 50 });
  });
});

describe('Function: loadConfig (errors)', () => {
  it('names the file, the path and the line of an invalid value', () => {
    // Arrange
    const text = minimal(['quorum: 0']);

    // Act
    const { error, file } = configError(text);

    // Assert
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('BAD_CONFIG');
    expect(error.file).toBe(file);
    expect(error.message).toContain(`${file} is not a valid release-bot configuration`);
    expect(error.message).toContain(
      `services.${SERVICE}.quorum (line ${lineOf(text, 'quorum: 0')}): Too small: expected number to be >=1`,
    );
  });

  it('says plainly that a missing file was not found', () => {
    // Arrange
    const file = join(dirname(writeConfig('')), 'does-not-exist.yaml');

    // Act
    const act = () => loadConfig(file);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(`${file} was not found`);
  });

  it('says a folder given as the file cannot be read, with the reason', () => {
    const folder = dirname(writeConfig(''));

    expect(() => loadConfig(folder)).toThrow(`${folder} cannot be read: EISDIR`);
  });

  it('gives the line of a YAML syntax error', () => {
    // Arrange
    const text = minimal(['approvers:', '  users: [U0APPROVER1', 'quorum: 1']);

    // Act
    const { error, file } = configError(text);

    // Assert
    expect(error.message).toContain(file);
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems[0]).toMatch(/^line \d+: \S/);
  });

  it('gives the line of a duplicated key', () => {
    // Arrange
    const text = minimal(['quorum: 1', 'quorum: 2']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.problems).toEqual([`line ${lineOf(text, 'quorum: 2')}: Map keys must be unique`]);
  });

  it.each([
    { name: 'a service', lines: ['colour: blue'], head: [], key: 'colour' },
    { name: 'the top level', lines: [], head: ['colour: blue'], key: 'colour' },
    { name: 'a gate list', lines: ['gates:', '  confirm-everything: manual'], head: [], key: 'confirm-everything' },
    {
      name: 'an SLO',
      lines: ['slo:', '  successRate: 99', '  p95LatencyMs: 500', '  errorRate: 1', '  p99: 900'],
      head: [],
      key: 'p99',
    },
  ])('rejects an unknown key in $name', ({ lines, head, key }) => {
    // Arrange
    const text = minimal(lines, head);

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.message).toContain(`unknown key "${key}"`);
    expect(error.message).toMatch(/\(line \d+\)/);
  });

  it('points at the line of the unknown key itself', () => {
    // Arrange
    const text = minimal(['quorum: 1', 'colour: blue']);

    // Act
    const { error } = configError(text);

    // Assert
    const problem = error.problems.find((p) => p.includes('colour'));
    expect(problem).toContain(`(line ${lineOf(text, 'colour: blue')})`);
  });

  it('refuses a manual gate without approvers', () => {
    // Arrange
    const text = minimal(['gates:', '  confirm-promotion: manual']);

    // Act
    const { error, file } = configError(text);

    // Assert
    expect(error.message).toContain(file);
    expect(problemAbout(error, `services.${SERVICE}.approvers`)).toContain(
      'a manual gate needs at least one approver user or group',
    );
  });

  it('gives the line of a manual gate left without approvers', () => {
    // Arrange
    const text = minimal(['approvers:', '  users: []', 'gates:', '  confirm-promotion: manual']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.approvers`)).toContain(`(line ${lineOf(text, 'approvers:')})`);
  });

  it('refuses a quorum the listed approvers can never reach', () => {
    // Arrange
    const text = minimal([
      'approvers:',
      '  users: [U0APPROVER1]',
      'quorum: 3',
      'gates:',
      '  confirm-promotion: manual',
    ]);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.quorum`)).toContain(
      '3 approvals can never be reached by 1 listed users',
    );
  });

  it('gives the line of a quorum the listed approvers can never reach', () => {
    // Arrange
    const text = minimal([
      'approvers:',
      '  users: [U0APPROVER1]',
      'quorum: 3',
      'gates:',
      '  confirm-promotion: manual',
    ]);

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, `services.${SERVICE}.quorum`)).toContain(`(line ${lineOf(text, 'quorum: 3')})`);
  });

  it('refuses a reference to a cluster that is not defined', () => {
    // Arrange
    const text = minimal(['cluster: prod-eu'], ['clusters:', '  prod-us:', '    region: us-east-1', '    name: prod']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.problems).toEqual([
      `services.${SERVICE}.cluster (line ${lineOf(text, 'cluster: prod-eu')}): cluster "prod-eu" is not defined under clusters`,
    ]);
  });

  it('accepts a reference to a defined cluster', () => {
    // Arrange
    const text = minimal(['cluster: prod-eu'], ['clusters:', '  prod-eu:', '    region: eu-west-1', '    name: prod']);

    // Act
    const config = loadConfig(writeConfig(text));

    // Assert
    expect(policyOf(config).cluster).toBe('prod-eu');
    expect(config.clusters).toEqual({ 'prod-eu': { region: 'eu-west-1', name: 'prod' } });
  });

  it.each([
    {
      name: 'a channel name with capitals',
      text: ['services:', `  ${SERVICE}:`, '    channel: "#Releases"', ''].join('\n'),
      path: `services.${SERVICE}.channel`,
    },
    {
      name: 'a user that is not a Slack ID',
      text: minimal(['approvers:', '  users: [alice]']),
      path: `services.${SERVICE}.approvers.users.0`,
    },
    {
      name: 'a group that is not a Slack ID',
      text: minimal(['approvers:', '  groups: [U0NOTGROUP]']),
      path: `services.${SERVICE}.approvers.groups.0`,
    },
    {
      name: 'an expiry that is not a duration',
      text: minimal(['approvalExpiry: soon']),
      path: `services.${SERVICE}.approvalExpiry`,
    },
    { name: 'a zero expiry', text: minimal(['approvalExpiry: 0s']), path: `services.${SERVICE}.approvalExpiry` },
    {
      name: 'an unknown gate mode',
      text: minimal(['gates:', '  confirm-promotion: maybe']),
      path: `services.${SERVICE}.gates.confirm-promotion`,
    },
    {
      name: 'a fromWeight above 100',
      text: minimal(['gates:', '  confirm-traffic-increase: { mode: manual, fromWeight: 150 }']),
      path: `services.${SERVICE}.gates.confirm-traffic-increase`,
    },
    {
      name: 'a stepWeight of 0',
      text: minimal(['analysis:', '  stepWeight: 0']),
      path: `services.${SERVICE}.analysis.stepWeight`,
    },
  ])('refuses $name, naming $path with a line', ({ text, path }) => {
    // Arrange
    const document = text;

    // Act
    const { error } = configError(document);

    // Assert
    expect(problemAbout(error, path)).toMatch(/^\S+ \(line \d+\): \S/);
  });

  it('refuses a service key that is not namespace/name', () => {
    // Arrange
    const text = ['services:', '  product-service:', '    channel: C0RELEASES1', ''].join('\n');

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.message).toContain('a service key is the Canary as namespace/name');
  });

  it('refuses an empty document, asking for services', () => {
    // Arrange
    const text = '';

    // Act
    const { error } = configError(text);

    // Assert
    expect(problemAbout(error, 'services')).toBeDefined();
  });

  it('lists every problem of a document at once', () => {
    // Arrange
    const text = minimal(['quorum: 0', 'approvalExpiry: soon', 'allowSelfApproval: perhaps']);

    // Act
    const { error } = configError(text);

    // Assert
    expect(error.problems).toHaveLength(3);
    expect(error.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });
});
