import { decisionText, replyText } from '../../shared/slack/answers';

const SERVICE = 'production/product-service';

describe('Function: decisionText', () => {
  it('names the approvers of a refusal as Slack mentions, users then groups', () => {
    const text = decisionText({
      result: 'refused',
      code: 'not-approver',
      action: 'approve',
      service: SERVICE,
      approvers: { users: ['U0A'], groups: ['S0B', 'S0C'] },
    });

    expect(text).toBe(
      'You cannot approve this: you are not an approver for production/product-service (approvers: <@U0A>, <!subteam^S0B>, <!subteam^S0C>).',
    );
  });

  it('shows an approver ID that is not a Slack ID as escaped text, never as a mention', () => {
    const text = decisionText({
      result: 'refused',
      code: 'not-approver',
      action: 'approve',
      service: SERVICE,
      approvers: { users: ['<!channel>'], groups: ['S0B|<!here>'] },
    });

    expect(text).toContain('(approvers: &lt;!channel&gt;, S0B|&lt;!here&gt;)');
  });

  it('appends the directory caveat, escaped', () => {
    const text = decisionText({
      result: 'accepted',
      code: 'approval-counted',
      count: 1,
      quorum: 2,
      caveat: 'as of <10:00>',
    });

    expect(text).toBe('Approved (1/2). (as of &lt;10:00&gt;)');
  });

  it('says a refused resume of their own release moves traffic again', () => {
    const text = decisionText({ result: 'refused', code: 'self-approval', action: 'resume', service: SERVICE });

    expect(text).toBe(
      "You cannot resume this: you deployed this release of production/product-service, and resuming moves traffic again, so it needs someone else's approval.",
    );
  });
});

describe('Function: replyText', () => {
  it('marks a refusal, and only a refusal', () => {
    const refused = replyText({ result: 'refused', code: 'request-missing' });
    const duplicate = replyText({ result: 'duplicate', code: 'not-paused', service: SERVICE });

    expect(refused).toBe(':no_entry_sign: That approval request no longer exists.');
    expect(duplicate).toBe('production/product-service is not paused.');
  });
});

describe('Function: decisionText, runbook outcomes', () => {
  const run = { service: SERVICE, number: 3 };

  it('says a preview changes nothing', () => {
    const text = decisionText({
      result: 'accepted',
      code: 'dry-run-started',
      run,
      execution: 'dry-run:rollback@1',
      runbook: 'rollback',
    });

    expect(text).toBe(
      'Previewing the rollback for production/product-service release #3: every Kubernetes step runs as a server-side dry run and Flagger is not told, so nothing changes. The thread shows what each step would do.',
    );
  });

  it('lists the configured runbooks for an unknown one', () => {
    const text = replyText({
      result: 'refused',
      code: 'unknown-runbook',
      service: SERVICE,
      runbook: 'x<y',
      known: ['rollback', 'traffic-check'],
    });

    expect(text).toBe(
      ':no_entry_sign: No runbook named x&lt;y is configured for production/product-service (configured: rollback, traffic-check).',
    );
  });

  it('tells the second person to click Confirm that the first one did', () => {
    const text = decisionText({
      result: 'refused',
      code: 'runbook-not-waiting',
      run,
      execution: 'rollback',
      state: 'running',
    });

    expect(text).toBe(
      'That runbook of production/product-service release #3 is already going on: someone confirmed it first.',
    );
  });

  it('says an ended runbook no longer waits', () => {
    const text = decisionText({
      result: 'refused',
      code: 'runbook-not-waiting',
      run,
      execution: 'rollback',
      state: 'failed',
    });

    expect(text).toBe(
      'That runbook of production/product-service release #3 is not waiting for a confirmation (it has failed).',
    );
  });
});
