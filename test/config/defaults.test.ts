import { loadConfig } from '../../shared/config/load';
import { analysisOf } from '../../shared/domain/policy';
import { minimal, policyOf, SERVICE, writeConfig } from './config-files';

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
      escalateTo: { users: [], groups: [] }, // and no escalateAfter: nobody is escalated to
      allowSelfApproval: false,
      slo: { successRate: 99, p95LatencyMs: 500, errorRate: 1 },
      gates: {
        'confirm-rollout': { mode: 'auto' },
        'confirm-traffic-increase': { mode: 'auto', fromWeight: 0 },
        'confirm-promotion': { mode: 'auto' },
      },
      // As written: analysisOf adds the defaults, so that a check against the live Canary compares only what was said.
      analysis: {},
      target: 'product-service',
      metrics: { interval: '1m', window: 600_000, step: 30_000, queries: {} },
      runbook: 'rollback',
      autoRollback: { alertnames: [], severities: ['critical'] },
      // The design document's circuit breaking and production mTLS, what /canary doctor compares the mesh with.
      traffic: {
        outlierDetection: { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
        mtls: 'STRICT',
      },
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

  it('fills the SLO values the defaults section leaves out with the built-in ones', () => {
    // Arrange
    const text = minimal([], ['defaults:', '  slo:', '    p95LatencyMs: 300']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.slo).toEqual({ successRate: 99, p95LatencyMs: 300, errorRate: 1 });
  });

  it('keeps the built-in approval policy beside a defaults section that names only approvers', () => {
    // Arrange
    const text = minimal([], ['defaults:', '  approvers:', '    groups: [S0SRE]']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy).toMatchObject({
      approvers: { users: [], groups: ['S0SRE'] },
      quorum: 1,
      approvalExpiry: 2 * 3_600_000,
      allowSelfApproval: false,
    });
  });

  it('fills the snapshot settings a service leaves out, keeping its query overrides', () => {
    // Arrange
    const text = minimal(['metrics:', '  step: 1m', '  queries:', '    successRate: up{job="api"}']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.metrics).toStrictEqual({
      interval: '1m',
      window: 600_000,
      step: 60_000,
      queries: { successRate: 'up{job="api"}' },
    });
  });

  it('fills the analysis weight a service leaves out, where the analysis is used, not in the policy as written', () => {
    // Arrange
    const text = minimal(['analysis:', '  stepWeight: 20']);

    // Act
    const policy = policyOf(loadConfig(writeConfig(text)));

    // Assert
    expect(policy.analysis).toEqual({ stepWeight: 20 });
    expect(analysisOf(policy)).toEqual({ stepWeight: 20, maxWeight: 50 });
    expect(analysisOf(policy, { analysis: { stepWeights: [5, 50] } })).toEqual({ stepWeights: [5, 50] });
  });

  it.each([
    { lines: [], timeout: 2000 },
    { lines: ['  timeout: 5s'], timeout: 5000 },
  ])('asks Prometheus with a timeout of $timeout ms', ({ lines, timeout }) => {
    // Arrange
    const text = minimal([], ['prometheus:', '  url: http://127.0.0.1:9090', ...lines]);

    // Act
    const config = loadConfig(writeConfig(text));

    // Assert
    expect(config.prometheus).toEqual({ url: 'http://127.0.0.1:9090', timeout });
  });

  it('has no prometheus section when the file names none', () => {
    // Arrange
    const text = minimal();

    // Act
    const config = loadConfig(writeConfig(text));

    // Assert
    expect(config).not.toHaveProperty('prometheus');
    expect(config.clusters).toEqual({});
  });
});
