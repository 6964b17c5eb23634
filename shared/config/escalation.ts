import { formatDuration } from '../domain/snapshot-text';

/** The parts of a parsed document the escalation checks read (the schema's output, structurally). */
interface Escalating {
  approvalExpiry?: number;
  escalateAfter?: number;
  escalateTo?: { users: string[]; groups: string[] };
}

export interface EscalationProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Escalation that cannot work as written: a delay with nobody to mention, people to mention with no delay (a
 * service's own `escalateTo` only: a default one may wait for services that opt in), or a delay that is not shorter
 * than the expiry, so the request would expire (and be asked again) before anyone is mentioned. A mistake made in
 * `defaults` is reported once, there; a service is checked where its own fields take part.
 */
export function escalationProblems(doc: {
  defaults: Escalating & { approvalExpiry: number };
  services: Record<string, Escalating>;
}): EscalationProblem[] {
  const problems: EscalationProblem[] = [];
  const { defaults } = doc;
  problems.push(...tooLate(['defaults'], defaults.escalateAfter, defaults.approvalExpiry, 'escalateAfter'));
  if (defaults.escalateAfter !== undefined && nobody(defaults.escalateTo)) {
    problems.push({ path: ['defaults', 'escalateAfter'], message: NOBODY });
  }
  for (const [key, svc] of Object.entries(doc.services)) {
    const at = ['services', key];
    const after = svc.escalateAfter ?? defaults.escalateAfter;
    const expiry = svc.approvalExpiry ?? defaults.approvalExpiry;
    if (svc.escalateAfter !== undefined || svc.approvalExpiry !== undefined) {
      problems.push(
        ...tooLate(at, after, expiry, svc.escalateAfter !== undefined ? 'escalateAfter' : 'approvalExpiry'),
      );
    }
    const to = svc.escalateTo ?? defaults.escalateTo;
    if (svc.escalateAfter !== undefined && nobody(to))
      problems.push({ path: [...at, 'escalateAfter'], message: NOBODY });
    if (svc.escalateTo && !nobody(svc.escalateTo) && after === undefined) {
      problems.push({
        path: [...at, 'escalateTo'],
        message:
          'escalateTo needs escalateAfter (here or under defaults): how long a request waits before they are mentioned',
      });
    }
  }
  return problems;
}

const NOBODY = 'escalateAfter needs escalateTo with at least one user group (S0123ABCD) or user (U0123ABCD) to mention';

const nobody = (to: Escalating['escalateTo']): boolean => !to || to.users.length + to.groups.length === 0;

function tooLate(
  at: (string | number)[],
  after: number | undefined,
  expiry: number,
  field: 'escalateAfter' | 'approvalExpiry',
): EscalationProblem[] {
  if (after === undefined || after < expiry) return [];
  return [
    {
      path: [...at, field],
      message:
        `escalateAfter ${formatDuration(after / 1000)} must be shorter than approvalExpiry ${formatDuration(expiry / 1000)}: ` +
        'the request would expire before anyone is mentioned',
    },
  ];
}
