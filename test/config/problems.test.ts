import { loadConfig } from '../../shared/config/load';
import { changesSomething } from '../../shared/domain/runbook';
import { configError, lineOf, SERVICE, SHIPPED, writeConfig } from './config-files';

/** Sentences a person fixing the file can act on: what was meant, what is allowed, and nothing knocked on. */
describe('Function: loadConfig (problems as sentences)', () => {
  it('names the key a typo was meant to be, and does not also report that key missing', () => {
    const text = ['services:', `  ${SERVICE}:`, '    chanel: C0RELEASES1', ''].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE} (line ${lineOf(text, 'chanel')}): unknown key "chanel": did you mean "channel"?`,
    ]);
  });

  it('names the gate a misspelt gate key was meant to be', () => {
    const text = [
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '    gates:',
      '      confirm-promotoin: manual',
      '',
    ].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE}.gates (line 5): unknown key "confirm-promotoin": did you mean "confirm-promotion"?`,
    ]);
  });

  it('lists the allowed keys when an unknown key is not close to any', () => {
    const text = ['services:', `  ${SERVICE}:`, '    channel: C0RELEASES1', '    slo:', '      p99: 900', ''].join(
      '\n',
    );

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE}.slo (line 5): unknown key "p99": allowed: successRate, p95LatencyMs, errorRate`,
    ]);
  });

  it('lists the allowed values of a gate mode written wrong, with the value as written', () => {
    const text = [
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '    approvers: { users: [U0APPROVER1] }',
      '    gates:',
      '      confirm-promotion: manul',
      '',
    ].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE}.gates.confirm-promotion (line 6): "manul" is not allowed here: use one of auto, slo, manual`,
    ]);
  });

  it('reports an error in defaults at defaults, not at every service that inherits it', () => {
    const text = ['defaults:', '  quorum: 0', 'services:', `  ${SERVICE}:`, '    channel: C0RELEASES1', ''].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual(['defaults.quorum (line 2): Too small: expected number to be >=1']);
  });

  it("flags a fromWeight the canary never steps through, listing the Canary's weights", () => {
    const text = [
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '    approvers: { users: [U0APPROVER1] }',
      '    analysis: { stepWeight: 20, maxWeight: 50 }',
      '    gates:',
      '      confirm-traffic-increase: { mode: manual, fromWeight: 30 }',
      '',
    ].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE}.gates.confirm-traffic-increase.fromWeight (line 7): fromWeight 30 is not a weight this canary steps through (stepWeight 20, maxWeight 50: 20, 40, 60)`,
    ]);
  });

  it.each([
    {
      analysis: '{ stepWeights: [5, 10, 25, 50] }',
      gate: '{ mode: manual, fromWeight: 20 }',
      problem: `gates.confirm-traffic-increase.fromWeight (line 7): fromWeight 20 is not a weight this canary steps through (stepWeights [5, 10, 25, 50]: 5, 10, 25, 50)`,
    },
    {
      analysis: '{ iterations: 10 }',
      gate: 'manual',
      problem:
        'gates.confirm-traffic-increase (line 7): blue-green (iterations) never calls confirm-traffic-increase: gate confirm-promotion instead, or set it to auto',
    },
    {
      analysis: '{ iterations: 10, match: true }',
      gate: 'slo',
      problem:
        'gates.confirm-traffic-increase (line 7): A/B testing (iterations) never calls confirm-traffic-increase: gate confirm-promotion instead, or set it to auto',
    },
    {
      // the design document's blue-green shape, which Flagger's CRD refuses
      analysis: '{ iterations: 10, stepWeight: 100 }',
      gate: 'auto',
      problem:
        'analysis (line 5): give one of iterations, stepWeight and stepWeights, as the Canary does: Flagger refuses a Canary with more',
    },
    {
      analysis: '{ stepWeights: [10, 5] }',
      gate: 'auto',
      problem: 'analysis.stepWeights (line 5): stepWeights must increase, each weight above the one before',
    },
  ])('flags a traffic gate $gate that the strategy $analysis never asks', ({ analysis, gate, problem }) => {
    const text = [
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '    approvers: { users: [U0APPROVER1] }',
      `    analysis: ${analysis}`,
      '    gates:',
      `      confirm-traffic-increase: ${gate}`,
      '',
    ].join('\n');

    const { error } = configError(text);

    expect(error.problems.map((p) => p.replace(`services.${SERVICE}.`, ''))).toContain(problem);
  });

  it('leaves the manual step of a service with a cluster and no stated analysis to its live Canary', () => {
    const text = [
      'clusters:',
      '  prod: { kubeconfig: /etc/kubeconfig }',
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '    cluster: prod',
      '    approvers: { users: [U0APPROVER1] }',
      '    gates:',
      '      confirm-traffic-increase: { mode: manual, fromWeight: 25 }',
      '',
    ].join('\n');

    expect(loadConfig(writeConfig(text)).services.get(SERVICE)?.gates['confirm-traffic-increase']).toEqual({
      mode: 'manual',
      fromWeight: 25,
    });
    // Without the cluster, the default steps (10 to 50) are all the bot can go by, and 25 is not one of them.
    expect(configError(text.replace('    cluster: prod\n', '')).error.problems).toEqual([
      expect.stringContaining('fromWeight 25 is not a weight this canary steps through (stepWeight 10, maxWeight 50'),
    ]);
  });

  it('lists the step kinds a runbook step may have', () => {
    const text = [
      'runbooks:',
      '  cleanup:',
      '    steps: [{ kind: delete }]',
      'services:',
      `  ${SERVICE}:`,
      '    channel: C0RELEASES1',
      '',
    ].join('\n');

    const { error } = configError(text);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(
      /^runbooks\.cleanup\.steps\.0\.kind \(line 3\): .*'signal-flagger' \| 'set-weights'/,
    );
  });

  it('names a service whose runbook is not defined, with the defined ones', () => {
    const text = ['services:', `  ${SERVICE}:`, '    channel: C0RELEASES1', '    runbook: rollbak', ''].join('\n');

    const { error } = configError(text);

    expect(error.problems).toEqual([
      `services.${SERVICE}.runbook (line 4): runbook "rollbak" is not defined under runbooks (defined: rollback)`,
    ]);
  });
});

describe('Function: loadConfig (shipped runbooks)', () => {
  it('ships the rollback runbook and the two diagnosing examples, which only read and snapshot', () => {
    const { runbooks } = loadConfig(SHIPPED);

    expect(Object.keys(runbooks)).toEqual(['rollback', 'traffic-not-routing', 'performance-degradation']);
    expect(runbooks.rollback?.steps.map((s) => s.kind)).toEqual([
      'signal-flagger',
      'set-weights',
      'wait',
      'wait',
      'wait',
      'snapshot',
    ]);
    for (const name of ['traffic-not-routing', 'performance-degradation']) {
      expect(runbooks[name]?.steps.filter((s) => changesSomething(s))).toEqual([]);
    }
  });
});
