import * as z from 'zod';
import { parseDuration } from '../domain/duration';
import type { ServiceId } from '../domain/flagger';
import { type AutoRollback, alertsSchema, autoRollbackSchema } from './alerts';
import { analysisSchema as analysis, trafficGateProblem } from './analysis';
import { escalationProblems } from './escalation';
import { runbooksSchema } from './runbooks';
import { trafficSchema } from './traffic';

export { runbooksSchema } from './runbooks';

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID looks like U0123ABCD');
const slackGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'a Slack user-group ID looks like S0123ABCD');
const duration = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30m, 2h or 1h30m` });
      return z.NEVER;
    }
    return ms;
  })
  .refine((ms) => ms > 0, 'a duration must be longer than zero');

/**
 * `auto` answers the gate at once; `slo` answers it at once only while every SLO passes on fresh numbers (no data
 * keeps it closed); `manual` waits for approvals. A string is shorthand for `{ mode }`.
 */
const gateMode = z.enum(['auto', 'slo', 'manual']);
const simpleRule = z.strictObject({ mode: gateMode });
const trafficRule = z.strictObject({
  mode: gateMode,
  /** Only steps that take the canary to this weight or above need a human. */
  fromWeight: z.number().int().min(0).max(100).default(0),
});
const simpleGate = z.union([gateMode.transform((mode) => simpleRule.parse({ mode })), simpleRule]);
const trafficGate = z.union([gateMode.transform((mode) => trafficRule.parse({ mode })), trafficRule]);

/** Who may approve: listed users, and members of listed user groups. */
const approvers = z.strictObject({
  users: z.array(slackUserId).default([]),
  groups: z.array(slackGroupId).default([]),
});
const quorum = z.number().int().min(1).max(20);
const successRate = z.number().min(0).max(100).describe('minimum request success rate, %');
const p95LatencyMs = z.number().positive().describe('p95 latency must stay below this, ms');
const errorRate = z.number().min(0).max(100).describe('error rate must stay below this, %');

/**
 * The `defaults` section, and what stands where the file says nothing: the design document's SLOs and a
 * conservative approval policy. The one place these defaults are written.
 */
const defaults = z
  .strictObject({
    approvers: approvers.prefault({}),
    quorum: quorum.default(1),
    /** How long an approval request stays open, in ms (written as a duration: 2h, 45m). */
    approvalExpiry: duration.prefault('2h'),
    /** How long a request waits unanswered before `escalateTo` is mentioned in its thread, in ms; unset: never. */
    escalateAfter: duration.optional(),
    /** Who is mentioned then: user groups and users, by ID (never free text, so never @channel or @here). */
    escalateTo: approvers.prefault({}),
    allowSelfApproval: z.boolean().default(false),
    slo: z
      .strictObject({
        successRate: successRate.default(99),
        p95LatencyMs: p95LatencyMs.default(500),
        errorRate: errorRate.default(1),
      })
      .prefault({}),
  })
  .prefault({});

/** A service's own policy: each field, and each SLO value on its own, replaces the one from `defaults`. */
const servicePolicy = {
  approvers: approvers.optional(),
  quorum: quorum.optional(),
  approvalExpiry: duration.optional(),
  escalateAfter: duration.optional(),
  escalateTo: approvers.optional(),
  allowSelfApproval: z.boolean().optional(),
  slo: z
    .strictObject({
      successRate: successRate.optional(),
      p95LatencyMs: p95LatencyMs.optional(),
      errorRate: errorRate.optional(),
    })
    .optional(),
};

const metricQueries = z.strictObject({
  successRate: z.string().min(1).optional(),
  p95LatencyMs: z.string().min(1).optional(),
  errorRate: z.string().min(1).optional(),
  requestRate: z.string().min(1).optional(),
});

/** How snapshots are taken: the rate interval inside queries, the window of the trend, and query overrides. */
const metrics = z
  .strictObject({
    interval: z
      .string()
      .regex(/^\d+[smh]$/, 'a PromQL range such as 1m')
      .default('1m'),
    window: duration.prefault('10m'),
    step: duration.prefault('30s'),
    queries: metricQueries.prefault({}),
  })
  .prefault({});

const service = z.strictObject({
  ...servicePolicy,
  /** The Canary's targetRef Deployment; its primary is `<target>-primary`. Defaults to the Canary's name. */
  target: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes name')
    .optional(),
  metrics,
  channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$|^#[a-z0-9._-]+$/, 'a Slack channel ID (C0123ABCD) or #name'),
  cluster: z.string().optional(),
  gates: z
    .strictObject({
      'confirm-rollout': simpleGate.prefault('auto'),
      'confirm-traffic-increase': trafficGate.prefault('auto'),
      'confirm-promotion': simpleGate.prefault('auto'),
    })
    .prefault({}),
  analysis,
  /** The runbook `/canary rollback`, a rejection and an alert run for this service (default: the shipped rollback). */
  runbook: z.string().default('rollback'),
  /** Which alerts roll this service back without asking; default: `alerts.autoRollback`. */
  autoRollback: autoRollbackSchema.optional(),
  /** What the mesh should say about it, for `/canary doctor`. */
  traffic: trafficSchema,
});

/** An EKS cluster (endpoint, CA and token from AWS), or a kubeconfig file (local runs, tests). */
const cluster = z.union([
  z.strictObject({
    region: z.string().min(1),
    name: z.string().min(1).describe('EKS cluster name'),
  }),
  z.strictObject({
    kubeconfig: z.string().min(1).describe('path of a kubeconfig file'),
    context: z.string().min(1).optional(),
  }),
]);

const prometheus = z.strictObject({
  url: z.url({ error: 'the Prometheus base URL, e.g. http://prometheus.istio-system:9090' }),
  timeout: duration.prefault('2s'),
});

export const configSchema = z
  .strictObject({
    prometheus: prometheus.optional(),
    defaults,
    clusters: z.record(z.string(), cluster).default({}),
    alerts: alertsSchema,
    runbooks: runbooksSchema,
    services: z.record(
      z.string().regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, 'a service key is the Canary as namespace/name'),
      service,
    ),
  })
  .superRefine((doc, ctx) => {
    for (const problem of escalationProblems(doc)) ctx.addIssue({ code: 'custom', ...problem });
    for (const [key, svc] of Object.entries(doc.services)) {
      const at = (field: string) => ['services', key, field];
      if (svc.cluster && !doc.clusters[svc.cluster]) {
        ctx.addIssue({
          code: 'custom',
          path: at('cluster'),
          message: `cluster "${svc.cluster}" is not defined under clusters`,
        });
      }
      if (!doc.runbooks[svc.runbook]) {
        ctx.addIssue({
          code: 'custom',
          path: at('runbook'),
          message: `runbook "${svc.runbook}" is not defined under runbooks (defined: ${Object.keys(doc.runbooks).join(', ')})`,
        });
      }
      const problem = trafficGateProblem(svc);
      if (problem) ctx.addIssue({ code: 'custom', path: [...at('gates'), ...problem.path], message: problem.message });
      const manual = Object.values(svc.gates).some((g) => g.mode === 'manual');
      const sloGated = Object.values(svc.gates).some((g) => g.mode === 'slo');
      if (sloGated && !doc.prometheus) {
        ctx.addIssue({
          code: 'custom',
          path: at('gates'),
          message: 'a gate in mode slo needs prometheus.url at the top level',
        });
      }
      const approvers = svc.approvers ?? doc.defaults.approvers;
      const quorum = svc.quorum ?? doc.defaults.quorum;
      if (manual && approvers.users.length + approvers.groups.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: at('approvers'),
          message: 'a manual gate needs at least one approver user or group',
        });
      } else if (manual && approvers.groups.length === 0 && quorum > approvers.users.length) {
        ctx.addIssue({
          code: 'custom',
          path: at('quorum'),
          message: `${quorum} approvals can never be reached by ${approvers.users.length} listed users`,
        });
      }
    }
  });

/** The configuration file once parsed, with every default applied: `defaults` complete, services as written. */
export type ConfigDocument = z.output<typeof configSchema>;
/** The policy fields of `defaults`, each with a value. */
export type PolicyDefaults = ConfigDocument['defaults'];
type ServiceEntry = ConfigDocument['services'][string];
export type GateMode = z.output<typeof gateMode>;

/**
 * Everything the bot knows about one Canary, after defaults are applied: the service's entry, with each policy
 * field its own or the default one, its id, and its target named.
 */
export type ServicePolicy = PolicyDefaults &
  Omit<ServiceEntry, keyof PolicyDefaults | 'target' | 'autoRollback'> & {
    service: ServiceId;
    target: string;
    autoRollback: AutoRollback;
  };

/** The configuration as the bot runs on it: the file it came from, one policy per service, clusters, Prometheus. */
export type BotConfig = Readonly<
  Pick<ConfigDocument, 'clusters' | 'prometheus' | 'alerts' | 'runbooks'> & {
    file: string;
    services: ReadonlyMap<ServiceId, ServicePolicy>;
  }
>;

/** The top-level sections every configuration has even when its file says nothing: for code that builds one. */
export const sectionDefaults = (): Pick<BotConfig, 'alerts' | 'runbooks'> => ({
  alerts: alertsSchema.parse(undefined),
  runbooks: runbooksSchema.parse(undefined),
});
