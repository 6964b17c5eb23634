import * as z from 'zod';

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name');

/**
 * How an Alertmanager alert names the release it is about (`alerts.labels`): the first label present wins. The
 * defaults fit Istio's standard metrics (`destination_workload`, `destination_workload_namespace`) and rules that
 * label alerts with the Canary (`canary`, `service`, `app`).
 */
const labelRules = z
  .strictObject({
    namespace: z.array(labelName).min(1).default(['namespace', 'destination_workload_namespace']),
    canary: z.array(labelName).min(1).default(['canary', 'service', 'destination_workload', 'app']),
  })
  .prefault({});

/** Which alerts roll back on their own; any other alert about a release is offered with a Roll back button. */
export const autoRollbackSchema = z.strictObject({
  alertnames: z.array(z.string().min(1).max(200)).max(50).default([]),
  severities: z.array(z.string().min(1).max(50)).max(10).default([]),
});

/** `alerts:` at the top level: label rules, and the policy every service has unless it sets its own. */
export const alertsSchema = z
  .strictObject({
    labels: labelRules,
    autoRollback: autoRollbackSchema.prefault({ severities: ['critical'] }),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
export type AutoRollback = z.output<typeof autoRollbackSchema>;
