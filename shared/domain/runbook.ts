import type { RunbookDefinition, RunbookStep } from '../config/runbooks';
import type { AlertFacts } from './alert';
import type { ServiceId } from './flagger';

export type { RunbookDefinition, RunbookStep, RunbookStepKind } from '../config/runbooks';

/** Who or what started a runbook: a person (`/canary rollback`, a button), a rejection, or an alert. */
export interface RunbookTrigger {
  cause: 'person' | 'rejection' | 'alert';
  /** A Slack user ID, or `alertmanager` for an alert. */
  by: string;
  reason: string;
  /** The alert that fired it, as evidence. */
  alert?: AlertFacts;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'dry-run';

/** What one step did, with its timing: the thread and the audit trail show these. */
export interface StepResult {
  index: number;
  kind: RunbookStep['kind'];
  status: StepStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** What happened, in plain words without chat markup (bounded, STEP_DETAIL_LIMIT). */
  detail: string;
  /** Attempts made (retries on 409, 429, 5xx included). */
  attempts: number;
}

export const STEP_DETAIL_LIMIT = 600;

/**
 * One run of one runbook for one release: the steps as they were when it started (a config change mid-run shifts
 * nothing), where it is, and what each step did. Checkpointed after every step; `lease` names the one worker that
 * may advance it until `lease.until`, so a duplicate job or a second worker never runs a step twice at once.
 */
export interface RunbookExecution {
  service: ServiceId;
  run: number;
  /** `rollback` (at most one per release), `dry-run:<runbook>@<n>` or `<runbook>@<n>`. */
  id: string;
  runbook: string;
  steps: RunbookStep[];
  dryRun: boolean;
  trigger: RunbookTrigger;
  state: 'running' | 'waiting' | 'succeeded' | 'failed';
  /** Index of the next step to run (steps.length once all ran). */
  next: number;
  results: StepResult[];
  lease?: { owner: string; until: string };
  /**
   * The step in progress across jobs: a wait that outlasts one job's budget is checkpointed here and re-queued, so
   * its timeout still counts from its first start (`startedAt`) and `attempts` counts the jobs that worked on it.
   */
  current?: { index: number; startedAt: string; attempts: number };
  /** Set while `waiting` at a confirm step: the time spent waiting for a person is added to `deadline` after it. */
  waitingSince?: string;
  startedAt: string;
  /** When the whole run must have ended (the runbook's timeout; a wait for a person extends it). */
  deadline: string;
  endedAt?: string;
  /** How it ended, in plain words: the steps' tally, or which step failed and why, or that it timed out. */
  summary?: string;
  version: number;
}

/** The id of a release's rollback: one per release, however many alerts, clicks and rejections ask for it. */
export const ROLLBACK_EXECUTION = 'rollback';

/** Ids for other executions: the runbook's name and a sequence number (or the caller's request id). */
export const executionId = (runbook: string, sequence: number | string, dryRun: boolean): string =>
  `${dryRun ? 'dry-run:' : ''}${runbook}@${sequence}`;

/** Whether a step changes the cluster or Flagger's decision; a dry run reports these instead of doing them. */
export const changesSomething = (step: RunbookStep): boolean =>
  ['signal-flagger', 'set-weights', 'scale', 'patch', 'annotate'].includes(step.kind);

export function newExecution(input: {
  service: ServiceId;
  run: number;
  id: string;
  runbook: string;
  definition: RunbookDefinition;
  dryRun: boolean;
  trigger: RunbookTrigger;
  now: Date;
}): RunbookExecution {
  return {
    service: input.service,
    run: input.run,
    id: input.id,
    runbook: input.runbook,
    steps: input.definition.steps,
    dryRun: input.dryRun,
    trigger: input.trigger,
    state: 'running',
    next: 0,
    results: [],
    startedAt: input.now.toISOString(),
    deadline: new Date(input.now.getTime() + input.definition.timeout).toISOString(),
    version: 0,
  };
}
