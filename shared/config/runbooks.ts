import * as z from 'zod';
import { parseDuration } from '../domain/duration';

/**
 * Runbooks as the configuration writes them (`runbooks:` at the top level): named lists of typed steps. The step
 * kinds are the only things a runbook can do, so `deploy/rbac.yaml` can list exactly the verbs they need. Names in
 * steps are placeholders resolved per service: `{canary}` (the Canary's target Deployment), `{primary}`
 * (`<target>-primary`), `{service}` (the Canary's name, also its VirtualService) and `{namespace}`.
 */
const stepDuration = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30s, 2m or 1m30s` });
      return z.NEVER;
    }
    return ms;
  })
  .refine((ms) => ms <= 15 * 60_000, 'a runbook step may wait at most 15m');

/** A Kubernetes name, or one of the placeholders. */
const objectName = z
  .string()
  .regex(
    /^(\{(canary|primary|service)\}|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/,
    'a Kubernetes name, or {canary}, {primary} or {service}',
  );
/** The kinds a step may touch: the ones Flagger's Istio canaries are made of (and that deploy/rbac.yaml grants). */
export const RESOURCE_KINDS = ['Deployment', 'Canary', 'VirtualService', 'DestinationRule'] as const;
const resource = z.strictObject({ kind: z.enum(RESOURCE_KINDS), name: objectName });
const label = z.string().min(1).max(80).optional();
const weight = z.number().int().min(0).max(100);

const step = z.discriminatedUnion('kind', [
  /** From now on the run's rollback hook answers 200: Flagger fails the canary at its next check. */
  z.strictObject({ kind: z.literal('signal-flagger'), name: label }),
  /** Flagger's VirtualService `{service}`: its primary and canary route weights (Flagger adopts them). */
  z
    .strictObject({ kind: z.literal('set-weights'), name: label, primary: weight, canary: weight })
    .refine((s) => s.primary + s.canary === 100, 'primary and canary weights must add up to 100'),
  z.strictObject({
    kind: z.literal('scale'),
    name: label,
    deployment: objectName,
    replicas: z.number().int().min(0).max(100),
  }),
  /** A JSON merge patch (RFC 7386) of one object. */
  z.strictObject({
    kind: z.literal('patch'),
    name: label,
    resource,
    patch: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({
    kind: z.literal('annotate'),
    name: label,
    resource,
    annotations: z.record(z.string().min(1).max(253), z.string().max(1000)),
  }),
  /** Polls until the condition holds, at most `timeout` (default 60s); a timeout fails the step. */
  z.strictObject({
    kind: z.literal('wait'),
    name: label,
    until: z.discriminatedUnion('condition', [
      z.strictObject({ condition: z.literal('canary-phase'), phase: z.enum(['Failed', 'Succeeded', 'Progressing']) }),
      z.strictObject({ condition: z.literal('deployment-ready'), deployment: objectName }),
      z.strictObject({ condition: z.literal('deployment-scaled-to-zero'), deployment: objectName }),
    ]),
    timeout: stepDuration.prefault('60s'),
  }),
  /** Reads and reports, changes nothing: the diagnosing runbooks are made of these and snapshots. */
  z.strictObject({
    kind: z.literal('inspect'),
    name: label,
    what: z.enum(['canary', 'virtualservice', 'destinationrules', 'deployments']),
  }),
  /** The SLO snapshot of the release (canary vs primary), as evidence in the thread and the audit trail. */
  z.strictObject({ kind: z.literal('snapshot'), name: label }),
  /** Holds the runbook (and no worker) until someone allowed to roll back confirms in Slack. */
  z.strictObject({ kind: z.literal('confirm'), name: label, prompt: z.string().min(1).max(300) }),
  /** A line in the thread; plain text (escaped), not chat markup. */
  z.strictObject({ kind: z.literal('notify'), name: label, text: z.string().min(1).max(500) }),
]);

/** The most steps a runbook may have: each execution stores one result per step, so this bounds its item. */
export const RUNBOOK_STEP_LIMIT = 20;

export const runbookSchema = z.strictObject({
  description: z.string().max(300).optional(),
  /** Whether the runbook changes anything: a runbook of only reads and snapshots may run without confirmation. */
  steps: z.array(step).min(1).max(RUNBOOK_STEP_LIMIT),
  /** The whole run's deadline, all waits included (a confirm step's wait for a person not counted). */
  timeout: stepDuration.prefault('5m'),
});

/**
 * The shipped rollback (the design document's "Rollback runbook"): tell Flagger, relieve traffic at once, let
 * Flagger agree, check what it left, say how long each step took.
 */
export const DEFAULT_ROLLBACK_RUNBOOK = {
  description: 'Roll the canary back: Flagger told, all traffic on the primary at once, then verified',
  steps: [
    { kind: 'signal-flagger', name: 'Tell Flagger to roll back' },
    { kind: 'set-weights', name: 'Route 100% to the primary', primary: 100, canary: 0 },
    { kind: 'wait', name: 'Flagger marks the canary Failed', until: { condition: 'canary-phase', phase: 'Failed' } },
    {
      kind: 'wait',
      name: 'Canary Deployment scaled to 0',
      until: { condition: 'deployment-scaled-to-zero', deployment: '{canary}' },
      timeout: '30s',
    },
    {
      kind: 'wait',
      name: 'Primary ready',
      until: { condition: 'deployment-ready', deployment: '{primary}' },
      timeout: '30s',
    },
    { kind: 'snapshot', name: 'Metrics after the rollback' },
  ],
} as const;

/** `runbooks:` with the shipped `rollback` in place unless the file defines its own. */
export const runbooksSchema = z
  .record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a runbook name such as rollback or traffic-check'), runbookSchema)
  .default({})
  .transform(
    (books): Record<string, RunbookDefinition> => ({
      rollback: runbookSchema.parse(DEFAULT_ROLLBACK_RUNBOOK),
      ...books,
    }),
  );

export type RunbookDefinition = z.output<typeof runbookSchema>;
export type RunbookStep = z.output<typeof step>;
export type RunbookStepKind = RunbookStep['kind'];
