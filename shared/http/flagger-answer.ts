import { gateTitle } from '../domain/gate';
import type { Approvers, HookOutcome } from '../domain/outcomes';
import { runLabel } from '../domain/release';
import { headline } from '../domain/snapshot-text';

/**
 * The sentence Flagger shows in its events (and a person reads in curl), from the hook's outcome: plain text, no
 * chat markup. 200 is Flagger's yes, 403 its no (never 5xx: Flagger retries those and drops the body).
 */
export function flaggerAnswer(outcome: HookOutcome): { status: 200 | 403; message: string } {
  return { status: outcome.open ? 200 : 403, message: sentence(outcome) };
}

function sentence(o: HookOutcome): string {
  switch (o.code) {
    case 'not-configured': {
      const message = `${o.service} is not configured in release-bot (${o.configFile}); add it under services`;
      return o.open ? `${message}; ${o.hook} ignored` : message;
    }
    case 'no-release':
      return `no release of ${o.service} is in progress`;
    case 'recorded':
      return `${o.hook} recorded${o.run ? ` for ${runLabel(o.run)}` : ''}`;
    case 'rollback':
      return `rolling back ${runLabel(o.run)}: requested by ${o.by} (${o.reason})`;
    case 'no-rollback':
      return `no rollback requested for ${runLabel(o.run)}`;
    case 'paused':
      return `${o.service} is paused by ${o.by} (${o.reason}); /canary resume ${o.service} to continue`;
    case 'at-max-weight':
      return `${runLabel(o.run)} is at its maximum weight; promotion is the next gate`;
    case 'automatic':
      return `${o.gate} is automatic for ${o.service}`;
    case 'slo-unavailable':
      return `${o.gate} of ${o.service} waits for SLOs, but no Prometheus is configured`;
    case 'slo-waiting':
      return `${o.gate} of ${runLabel(o.run)} waits for passing SLOs: ${headline(o.snapshot)}`;
    case 'slo-passed':
      return `${o.gate} of ${runLabel(o.run)}: all SLOs pass`;
    case 'approved':
      return `approved by ${o.approvers.join(', ')}: ${gateTitle(o.request)} for ${runLabel(o.run)}`;
    case 'rejected':
      return `rejected by ${o.by}: ${o.reason}`;
    case 'waiting-for-approval':
      return (
        `waiting for approval to ${gateTitle(o.request)} for ${runLabel(o.run)}: ` +
        `${o.count}/${o.quorum} approvals from ${approverList(o.approvers)}${notCountedNote(o.notCounted)}`
      );
  }
}

const approverList = (approvers: Approvers): string =>
  [...approvers.users, ...approvers.groups.map((g) => `group ${g}`)].join(', ');

const notCountedNote = (users: string[]): string =>
  users.length === 0 ? '' : ` (not counted: ${users.join(', ')}, who deployed this release and may not approve it)`;
