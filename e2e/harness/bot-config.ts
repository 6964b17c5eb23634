/**
 * The bot configuration of the scenarios: production/product-service approved by U0APPROVER1, with automatic start
 * and traffic steps and a manual promotion unless told otherwise. With `prometheus`, the bot also takes metric
 * snapshots (status table, numbers and chart on the approval request). With `kubeconfig`, the service runs its
 * runbooks against that cluster (the harness's, as the `release-bot` identity); without it, runbook steps that need
 * a cluster are skipped. Alerts use the shipped policy: `severity: critical` rolls back on its own.
 */
export function botConfig(
  options: {
    prometheus?: string;
    stepWeight?: number;
    maxWeight?: number;
    confirmRollout?: 'auto' | 'manual';
    confirmPromotion?: 'auto' | 'manual';
    kubeconfig?: string;
  } = {},
) {
  return `
${options.prometheus ? `prometheus: { url: "${options.prometheus}", timeout: 2s }\n` : ''}${
  options.kubeconfig ? `clusters:\n  e2e: { kubeconfig: ${JSON.stringify(options.kubeconfig)} }\n` : ''
}services:
  production/product-service:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1] }
${options.kubeconfig ? '    cluster: e2e\n' : ''}    gates:
      confirm-rollout: ${options.confirmRollout ?? 'auto'}
      confirm-traffic-increase: auto
      confirm-promotion: ${options.confirmPromotion ?? 'manual'}
    analysis: { stepWeight: ${options.stepWeight ?? 10}, maxWeight: ${options.maxWeight ?? 50} }
`;
}
