import type { BotConfig } from '../../shared/config/load';
import { sectionDefaults } from '../../shared/config/schema';
import type { ServicePolicy } from '../../shared/domain/policy';
import { HELP, parseCommand } from '../../shared/slack/commands';
import { aPolicy as basePolicy } from '../../testkit/builders';

const aPolicy = (service: string): ServicePolicy =>
  basePolicy({
    service,
    approvers: { users: ['U0APPROVER'], groups: [] },
    gates: {
      'confirm-rollout': { mode: 'auto' },
      'confirm-traffic-increase': { mode: 'auto', fromWeight: 0 },
      'confirm-promotion': { mode: 'manual' },
    },
  });

function aConfig(...services: string[]): BotConfig {
  return {
    file: 'release-bot.yaml',
    services: new Map(services.map((s) => [s, aPolicy(s)])),
    clusters: {},
    ...sectionDefaults(),
  };
}

const config = aConfig('production/product-service', 'production/cart', 'staging/cart');

describe('Function: parseCommand', () => {
  it.each([
    { text: '', expected: { verb: 'help' } },
    { text: '   ', expected: { verb: 'help' } },
    { text: 'help', expected: { verb: 'help' } },
    { text: 'list', expected: { verb: 'list' } },
    { text: 'list everything please', expected: { verb: 'list' } },
    { text: 'status production/product-service', expected: { verb: 'status', service: 'production/product-service' } },
    { text: 'doctor product-service', expected: { verb: 'doctor', service: 'production/product-service' } },
    {
      text: 'history production/product-service',
      expected: { verb: 'history', service: 'production/product-service' },
    },
    {
      text: 'rollback production/product-service',
      expected: { verb: 'rollback', service: 'production/product-service', dryRun: false },
    },
    {
      text: 'rollback production/product-service --dry-run',
      expected: { verb: 'rollback', service: 'production/product-service', dryRun: true },
    },
    {
      text: 'runbook product-service rollback --dry-run',
      expected: { verb: 'runbook', service: 'production/product-service', runbook: 'rollback', dryRun: true },
    },
    {
      text: 'runbook production/product-service rollback',
      expected: { verb: 'runbook', service: 'production/product-service', runbook: 'rollback', dryRun: false },
    },
    { text: 'resume production/product-service', expected: { verb: 'resume', service: 'production/product-service' } },
    {
      text: 'approve production/product-service',
      expected: { verb: 'approve', service: 'production/product-service' },
    },
    {
      text: 'approve production/product-service confirm-traffic-increase@30',
      expected: { verb: 'approve', service: 'production/product-service', gate: 'confirm-traffic-increase@30' },
    },
    {
      text: 'reject production/product-service error rate is up on checkout',
      expected: { verb: 'reject', service: 'production/product-service', reason: 'error rate is up on checkout' },
    },
    {
      text: 'reject production/product-service',
      expected: { verb: 'reject', service: 'production/product-service', reason: '' },
    },
    {
      text: 'pause production/product-service  waiting   for the DB migration ',
      expected: { verb: 'pause', service: 'production/product-service', reason: 'waiting for the DB migration' },
    },
    { text: '  status\tproduction/cart  ', expected: { verb: 'status', service: 'production/cart' } },
  ])('parses "$text"', ({ text, expected }) => {
    // Arrange
    const input = text;

    // Act
    const command = parseCommand(input, config);

    // Assert
    expect(command).toEqual(expected);
  });

  it.each(['status', 'history', 'rollback', 'resume', 'approve', 'reject', 'pause'])(
    'resolves the short name product-service for %s',
    (verb) => {
      // Arrange
      const text = `${verb} product-service`;

      // Act
      const command = parseCommand(text, config);

      // Assert
      expect(command).toMatchObject({ verb, service: 'production/product-service' });
    },
  );

  it('refuses a short name that names several services, listing them', () => {
    // Arrange
    const text = 'status cart';

    // Act
    const command = parseCommand(text, config);

    // Assert
    expect(command).toEqual({ error: '`cart` is ambiguous: production/cart, staging/cart.' });
  });

  it('accepts the full name of a service whose short name is ambiguous', () => {
    // Arrange
    const text = 'approve staging/cart';

    // Act
    const command = parseCommand(text, config);

    // Assert
    expect(command).toEqual({ verb: 'approve', service: 'staging/cart' });
  });

  it.each(['checkout', 'production/checkout', 'product', 'service', 'production', 'production/'])(
    'refuses the unknown service "%s" with a sentence',
    (target) => {
      // Arrange
      const text = `status ${target}`;

      // Act
      const command = parseCommand(text, config);

      // Assert
      expect(command).toEqual({ error: `\`${target}\` is not a configured service. Try \`/canary list\`.` });
    },
  );

  it.each(['deploy', 'promote', 'stat'])('refuses the unknown verb "%s" with a sentence', (verb) => {
    // Arrange
    const text = `${verb} production/product-service`;

    // Act
    const command = parseCommand(text, config);

    // Assert
    expect(command).toEqual({ error: `I don't know \`${verb}\`. Try \`/canary help\`.` });
  });

  it.each(['status', 'approve', 'reject', 'rollback', 'pause', 'resume', 'history'])(
    'asks which service when %s names none, with an example',
    (verb) => {
      // Arrange
      const text = verb;

      // Act
      const command = parseCommand(text, config);

      // Assert
      expect(command).toEqual({ error: `Which service? For example \`/canary ${verb} production/product-service\`.` });
    },
  );

  it('gives a placeholder example when no service is configured', () => {
    // Arrange
    const empty = aConfig();

    // Act
    const command = parseCommand('status', empty);

    // Assert
    expect(command).toEqual({ error: 'Which service? For example `/canary status namespace/name`.' });
  });

  it('ends every error with a full stop, as a sentence to show the person', () => {
    // Arrange
    const inputs = ['deploy x', 'status', 'status cart', 'status nowhere'];

    // Act
    const errors = inputs.map((text) => parseCommand(text, config)).map((c) => ('error' in c ? c.error : ''));

    // Assert
    for (const error of errors) expect(error).toMatch(/^[A-Z`].*\.$/);
  });
});

describe('Runbooks: /canary runbook and /canary rollback --dry-run', () => {
  it('lists the configured runbooks when the name is unknown, escaping what was typed', () => {
    // Act
    const command = parseCommand('runbook production/product-service <!channel>', config);

    // Assert
    expect(command).toEqual({
      error: 'No runbook named `&lt;!channel&gt;` is configured. Configured: rollback.',
    });
  });

  it('asks which runbook when none is named, listing them', () => {
    // Act
    const command = parseCommand('runbook production/product-service --dry-run', config);

    // Assert
    expect(command).toMatchObject({ error: expect.stringContaining('Which runbook? Configured: rollback.') });
  });

  it('does not take an inherited property for a runbook', () => {
    // Act
    const command = parseCommand('runbook production/product-service constructor', config);

    // Assert
    expect(command).toHaveProperty('error');
  });

  it('refuses words after rollback other than --dry-run rather than ignoring them', () => {
    // Act
    const command = parseCommand('rollback production/product-service --dryrun', config);

    // Assert
    expect(command).toEqual({
      error: "I don't know `--dryrun` here. Try `/canary rollback production/product-service --dry-run`.",
    });
  });
});

describe('Escaping: what the person typed, echoed in an error', () => {
  it.each([
    { text: '<!channel>', expected: "I don't know `&lt;!channel&gt;`. Try `/canary help`." },
    {
      text: 'status <http://evil.example|x>',
      expected: '`&lt;http://evil.example|x&gt;` is not a configured service. Try `/canary list`.',
    },
    { text: 'status a`<@U0EVIL>`', expected: "`a'&lt;@U0EVIL&gt;'` is not a configured service. Try `/canary list`." },
  ])('escapes $text and keeps it inside its code span', ({ text, expected }) => {
    // Act
    const command = parseCommand(text, config);

    // Assert
    expect(command).toEqual({ error: expected });
  });

  it('cuts a very long echo', () => {
    // Act
    const command = parseCommand(`status ${'x'.repeat(5000)}`, config);

    // Assert
    expect('error' in command && command.error.length).toBeLessThan(200);
  });
});

describe('Constant: HELP', () => {
  it('has no raw angle brackets, which Slack would read as links', () => {
    expect(HELP).not.toMatch(/[<>]/);
    expect(HELP).toContain('`/canary status &lt;namespace/name&gt;`');
  });

  it.each(['list', 'status', 'approve', 'reject', 'rollback', 'runbook', 'pause', 'resume', 'history'])(
    'documents /canary %s',
    (verb) => {
      // Arrange
      const help = HELP;

      // Act
      const mentioned = help.includes(`\`/canary ${verb}`);

      // Assert
      expect(mentioned).toBe(true);
    },
  );
});
