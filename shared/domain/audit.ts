import type { ServiceId } from './flagger';

/** One line of the audit trail: what someone (or Flagger, or the bot) asked for, and what the bot did. */
export interface AuditEntry {
  service: ServiceId;
  at: string;
  /** Slack user ID, or `flagger` / `release-bot`. */
  actor: string;
  action:
    | 'gate-opened'
    | 'gate-reopened'
    | 'gate-answered'
    | 'approve'
    | 'reject'
    | 'rollback'
    | 'pause'
    | 'resume'
    | 'run-started'
    | 'run-ended';
  outcome: 'accepted' | 'refused' | 'duplicate';
  run?: number;
  gate?: string;
  attempt?: number;
  /** Where it came from: a Slack channel ID, `slash-command`, `flagger`. */
  via?: string;
  detail: string;
  evidence?: string;
}
