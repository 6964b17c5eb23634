import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BotConfig, loadConfig } from '../../shared/config/load';
import { ConfigError } from '../../shared/domain/errors';

const SHIPPED = join(__dirname, '..', '..', 'config', 'release-bot.yaml');
const SERVICE = 'production/product-service';

let dir: string;
let files = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'release-bot-config-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the document to a file of its own under os.tmpdir(). */
function writeConfig(text: string): string {
  const file = join(dir, `config-${++files}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the document`);
  return index + 1;
}

/** Loads the document and returns the ConfigError it must raise. */
function configError(text: string): { error: ConfigError; file: string } {
  const file = writeConfig(text);
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return { error, file };
    throw error;
  }
  throw new Error('the configuration was accepted');
}

const problemAbout = (error: ConfigError, path: string): string | undefined =>
  error.problems.find((p) => p.startsWith(path));

function policyOf(config: BotConfig, service = SERVICE) {
  const policy = config.services.get(service);
  if (!policy) throw new Error(`${service} is not configured`);
  return policy;
}

const minimal = (serviceLines: string[] = [], head: string[] = []): string =>
  [...head, 'services:', `  ${SERVICE}:`, '    channel: C0RELEASES1', ...serviceLines.map((l) => `    ${l}`), ''].join(
    '\n',
  );

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

  it('reports a file that cannot be read', () => {
    // Arrange
    const file = join(dir, 'does-not-exist.yaml');

    // Act
    const act = () => loadConfig(file);

    // Assert
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*cannot be read`));
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
    expect(error.message).toContain(`Unrecognized key: "${key}"`);
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

describe('Function: loadConfig (defaults)', () => {
  it('uses the built-in defaults where the file says nothing', () => {
    // Arrange
    const text = minimal();

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy).toEqual({
      service: SERVICE,
      channel: 'C0RELEASES1',
      approvers: { users: [], groups: [] },
      quorum: 1,
      approvalExpiry: 2 * 3_600_000,
      allowSelfApproval: false,
      slo: { successRate: 99, p95LatencyMs: 500, errorRate: 1 },
      gates: {
        'confirm-rollout': { mode: 'auto' },
        'confirm-traffic-increase': { mode: 'auto', fromWeight: 0 },
        'confirm-promotion': { mode: 'auto' },
      },
      analysis: { stepWeight: 10, maxWeight: 50 },
      target: 'product-service',
      metrics: { interval: '1m', window: 600_000, step: 30_000, queries: {} },
    });
  });

  it('merges the defaults section into every service', () => {
    // Arrange
    const text = [
      'defaults:',
      '  quorum: 2',
      '  approvalExpiry: 45m',
      '  allowSelfApproval: true',
      '  slo: { successRate: 99.5, p95LatencyMs: 300, errorRate: 0.5 }',
      'services:',
      '  production/product-service:',
      '    channel: C0RELEASES1',
      '  production/cart:',
      '    channel: "#cart-releases"',
      '    quorum: 1',
      '',
    ].join('\n');

    // Act
    const config = loadConfig(writeConfig(text));

    // Assert
    expect(policyOf(config)).toMatchObject({
      quorum: 2,
      approvalExpiry: 45 * 60_000,
      allowSelfApproval: true,
      slo: { successRate: 99.5, p95LatencyMs: 300, errorRate: 0.5 },
    });
    expect(policyOf(config, 'production/cart')).toMatchObject({
      channel: '#cart-releases',
      quorum: 1,
      approvalExpiry: 45 * 60_000,
    });
  });

  it('lets a service replace the default SLOs', () => {
    // Arrange
    const text = minimal(['slo: { successRate: 95, p95LatencyMs: 800, errorRate: 5 }']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.slo).toEqual({ successRate: 95, p95LatencyMs: 800, errorRate: 5 });
  });

  it('lets a service override one SLO and keep the other defaults', () => {
    // Arrange
    const text = minimal(['slo:', '  successRate: 99.9']);

    // Act
    const load = () => loadConfig(writeConfig(text));

    // Assert
    expect(load).not.toThrow();
    expect(policyOf(load()).slo).toEqual({ successRate: 99.9, p95LatencyMs: 500, errorRate: 1 });
  });

  it('gives services without their own approvers the default approvers', () => {
    // Arrange
    const text = minimal(
      ['gates:', '  confirm-promotion: manual'],
      ['defaults:', '  approvers:', '    users: [U0APPROVER1]'],
    );

    // Act
    const load = () => loadConfig(writeConfig(text));

    // Assert
    expect(load).not.toThrow();
    expect(policyOf(load()).approvers).toEqual({ users: ['U0APPROVER1'], groups: [] });
  });

  it('lets a service list its own approvers instead of the default ones', () => {
    // Arrange
    const text = minimal(
      ['approvers:', '  groups: [S0SRE]', 'gates:', '  confirm-promotion: manual'],
      ['defaults:', '  approvers:', '    users: [U0APPROVER1]'],
    );

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.approvers).toEqual({ users: [], groups: ['S0SRE'] });
  });

  it.each([
    { value: 'manual', expected: { mode: 'manual', fromWeight: 0 } },
    { value: '{ mode: manual }', expected: { mode: 'manual', fromWeight: 0 } },
    { value: '{ mode: manual, fromWeight: 30 }', expected: { mode: 'manual', fromWeight: 30 } },
    { value: 'auto', expected: { mode: 'auto', fromWeight: 0 } },
  ])('reads the traffic gate "$value"', ({ value, expected }) => {
    // Arrange
    const text = minimal(['approvers:', '  users: [U0APPROVER1]', 'gates:', `  confirm-traffic-increase: ${value}`]);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.gates['confirm-traffic-increase']).toEqual(expected);
    expect(policy.gates['confirm-promotion']).toEqual({ mode: 'auto' });
  });

  it('keeps the analysis weights of each service', () => {
    // Arrange
    const text = minimal(['analysis:', '  stepWeight: 5', '  maxWeight: 30']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.analysis).toEqual({ stepWeight: 5, maxWeight: 30 });
  });
});
