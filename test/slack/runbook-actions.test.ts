import { DEFAULT_ROLLBACK_RUNBOOK, runbookSchema } from '../../shared/config/runbooks';
import { newExecution } from '../../shared/domain/runbook';
import { ACTIONS } from '../../shared/slack/blocks';
import { type Harness, payload, startHarness } from '../../testkit/bot';

/*
 * The runbook buttons and commands through the local server as Slack sends them (signed requests, Bolt's
 * listeners), against the real store (dynalite) and a fake Slack Web API: what the person is told, what the thread
 * shows, and what the store holds afterwards.
 */
const SERVICE = 'production/product-service';
const rollbackValue = JSON.stringify({ s: SERVICE, r: 1, g: '', a: 0 });

describe('Local server: previewing, running and confirming runbooks from Slack', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
    // A release in flight, Progressing: one a rollback applies to.
    await h.flagger('confirm-promotion', payload('Progressing', 'rev-1'));
  });

  afterEach(async () => {
    await h.stop();
  });

  const told = () => String(h.slack.called('chat.postEphemeral').at(-1)?.args.text);
  const executions = () => h.bot.deps.store.listExecutions(SERVICE, 1, 10);

  it('runs the rollback as a dry run from the Preview rollback button, and rolls nothing back', async () => {
    // Act
    await h.click(ACTIONS.previewRollback, rollbackValue, 'U0APPROVER1');

    // Assess
    expect(told()).toContain('Previewing the rollback for production/product-service release #1');
    const [execution] = await executions();
    expect(execution).toMatchObject({ dryRun: true, runbook: 'rollback', trigger: { by: 'U0APPROVER1' } });
    expect((await h.bot.deps.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
    const thread = h.slack.called('chat.postMessage').map((c) => String(c.args.text));
    expect(thread.some((t) => t.startsWith('Dry run of rollback — nothing was changed'))).toBe(true);
  });

  it('runs the rollback as a dry run for /canary rollback --dry-run', async () => {
    // Act
    const answer = await h.command('rollback product-service --dry-run', 'U0APPROVER2');

    // Assess
    expect(answer.text).toContain('Previewing the rollback');
    expect(await executions()).toEqual([expect.objectContaining({ dryRun: true })]);
    expect((await h.bot.deps.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
  });

  it('refuses a preview of an older release the button was posted for', async () => {
    // Act
    await h.click(ACTIONS.previewRollback, JSON.stringify({ s: SERVICE, r: 7, g: '', a: 0 }), 'U0APPROVER1');

    // Assess
    expect(told()).toContain('That request belongs to release #7');
    expect(await executions()).toEqual([]);
  });

  it('answers /canary runbook with an unknown name by listing the configured ones', async () => {
    // Act
    const answer = await h.command('runbook product-service nope', 'U0APPROVER1');

    // Assess
    expect(answer.text).toContain('No runbook named `nope` is configured. Configured: rollback.');
    expect(await executions()).toEqual([]);
  });

  it('refuses a Confirm click from a stranger, and lets an approver confirm once', async () => {
    // Prepare: an execution holding at a confirm step
    const definition = runbookSchema.parse({
      steps: [{ kind: 'confirm', prompt: 'Route all traffic to the primary?' }, ...DEFAULT_ROLLBACK_RUNBOOK.steps],
    });
    const waiting = {
      ...newExecution({
        service: SERVICE,
        run: 1,
        id: 'careful@1',
        runbook: 'careful',
        definition,
        dryRun: false,
        trigger: { cause: 'person', by: 'U0APPROVER1', reason: 'asked in Slack' },
        now: new Date(),
      }),
      state: 'waiting' as const,
    };
    await h.bot.deps.store.createExecution(waiting);
    const value = JSON.stringify({ s: SERVICE, r: 1, e: 'careful@1' });

    // Act: a stranger, then an approver twice
    await h.click(ACTIONS.confirmRunbook, value, 'U0STRANGER');
    const strangerTold = told();
    const stillWaiting = await h.bot.deps.store.getExecution(SERVICE, 1, 'careful@1');
    await h.click(ACTIONS.confirmRunbook, value, 'U0APPROVER2');
    const approverTold = told();
    await h.click(ACTIONS.confirmRunbook, value, 'U0APPROVER1');

    // Assess
    expect(strangerTold).toContain('you are not an approver for production/product-service');
    expect(stillWaiting?.state).toBe('waiting');
    expect(approverTold).toBe(
      'Confirmed: the runbook of production/product-service release #1 goes on from the next step.',
    );
    // The second click finds the runbook going on, or (the executor is quick) already finished: never confirmed twice.
    expect(told()).toMatch(/is already going on|is not waiting for a confirmation/);
    const after = await h.bot.deps.store.getExecution(SERVICE, 1, 'careful@1');
    expect(after?.results.filter((r) => r.detail.startsWith('confirmed by'))).toEqual([
      expect.objectContaining({ index: 0, status: 'ok', detail: 'confirmed by U0APPROVER2' }),
    ]);
  });

  it.each([
    ['not JSON', 'careful@1'],
    ['a run that is not a number', JSON.stringify({ s: SERVICE, r: '1', e: 'careful@1' })],
    ['no execution', JSON.stringify({ s: SERVICE, r: 1 })],
    ['an approval request value', rollbackValue],
  ])('answers a Confirm button whose value is %s as not ours', async (_what, value) => {
    // Act
    await h.click(ACTIONS.confirmRunbook, value, 'U0APPROVER1');

    // Assess
    expect(told()).toContain('That button is not one release-bot made');
  });
});
