import { bounded, TEXT_LIMITS } from './bounds';
import type { ServiceId } from './flagger';

/** One line of the audit trail: what someone (or Flagger, or the bot) asked for, and what the bot did. */
export interface AuditEntry {
  service: ServiceId;
  at: string;
  /** Slack user ID, or `flagger` / `release-bot` / `alertmanager`. */
  actor: string;
  action:
    | 'gate-opened'
    | 'gate-reopened'
    | 'gate-answered'
    | 'escalated'
    | 'approve'
    | 'reject'
    | 'rollback'
    | 'pause'
    | 'resume'
    | 'run-started'
    | 'run-ended'
    | 'alert'
    | 'runbook-started'
    | 'runbook-step'
    | 'runbook-ended';
  outcome: 'accepted' | 'refused' | 'duplicate';
  run?: number;
  gate?: string;
  attempt?: number;
  /** Where it came from: a Slack channel ID, `slash-command`, `flagger`. */
  via?: string;
  detail: string;
  evidence?: string;
}

/** The entry as it may be stored: detail and evidence cut to fixed sizes, so no audit item grows with its input. */
export function boundedEntry(entry: AuditEntry): AuditEntry {
  const cut: AuditEntry = { ...entry, detail: bounded(entry.detail, TEXT_LIMITS.auditDetail) };
  if (entry.evidence !== undefined) cut.evidence = bounded(entry.evidence, TEXT_LIMITS.evidence);
  return cut;
}
