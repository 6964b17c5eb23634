import { MemoryStore } from '../../shared/adapters/memory-store';
import { noGroups } from '../../shared/adapters/no-groups';
import type { RunbookExecution } from '../../shared/domain/runbook';
import { confirmRunbook } from '../../shared/usecases/runbook-commands';
import { deployment } from '../support/fake-cluster';
import { NS, runbookWorld, SERVICE, T0 } from '../support/runbook-setup';

/** A store whose `n`th saveExecution (counting from 1) throws: the process died at that checkpoint. */
class CrashingStore extends MemoryStore {
  saves = 0;
  crashAt = 0;

  override async saveExecution(execution: RunbookExecution): Promise<boolean> {
    this.saves += 1;
    if (this.saves === this.crashAt) throw new Error('the worker died here');
    return super.saveExecution(execution);
  }
}

/** The state Flagger leaves once it agreed: the canary Deployment at 0 and the Canary Failed. */
function flaggerAgrees(world: ReturnType<typeof runbookWorld>) {
  world.cluster.deployments.set(`${NS}/product-service`, deployment(0));
  world.cluster.phases = ['Progressing', 'Failed'];
}

const statuses = (execution: RunbookExecution | undefined) =>
  execution?.results.map((r) => `${r.index} ${r.kind} ${r.status}`);

describe('Function: continueRunbook', () => {
  describe('the shipped rollback runbook', () => {
    it('signals Flagger, routes all traffic to the primary, waits for Flagger to agree and ends succeeded', async () => {
      const world = runbookWorld();
      flaggerAgrees(world);
      const job = await world.start();

      expect(await world.continue(job)).toBe('succeeded');

      const execution = await world.execution();
      expect(statuses(execution)).toEqual([
        '0 signal-flagger ok',
        '1 set-weights ok',
        '2 wait ok',
        '3 wait ok',
        '4 wait ok',
        '5 snapshot skipped',
      ]);
      expect(execution?.state).toBe('succeeded');
      expect(execution?.lease).toBeUndefined();
      expect(execution?.summary).toMatch(/^6 steps in .*: 5 ok, 1 skipped$/);
      expect(execution?.results[1]?.detail).toBe('primary 50 -> 100, canary 50 -> 0');
      expect(execution?.results[2]?.durationMs).toBe(250);
      expect(execution?.results[5]?.detail).toBe('no Prometheus is configured');
      expect(world.cluster.weights.get(`${NS}/product-service`)).toEqual({ primary: 100, canary: 0 });
      expect((await world.store.getRun(SERVICE, 1))?.rollback).toMatchObject({ by: 'alertmanager', cause: 'alert' });
    });

    it('publishes its start, each step and its end, and audits them in the same order', async () => {
      const world = runbookWorld();
      flaggerAgrees(world);
      await world.continue(await world.start());

      expect(world.events().map((e) => ('step' in e ? `${e.type} ${e.step}` : e.type))).toEqual([
        'runbook-started',
        'runbook-progressed 0',
        'runbook-progressed 1',
        'runbook-progressed 2',
        'runbook-progressed 3',
        'runbook-progressed 4',
        'runbook-progressed 5',
        'runbook-ended',
      ]);
      const audits = await world.stepAudits();
      expect(audits).toHaveLength(8);
      expect(audits[0]).toMatch(/^runbook-started: runbook rollback \(rollback\)/);
      expect(audits[2]).toBe(
        'runbook-step: step 2/6 set-weights ok in 0 ms: primary 50 -> 100, canary 50 -> 0 (rollback)',
      );
      expect(audits[3]).toBe('runbook-step: step 3/6 wait ok in 250 ms: the Canary is Failed after 0.3 s (rollback)');
      expect(audits[7]).toMatch(/^runbook-ended: runbook rollback \(rollback\) succeeded: 6 steps in/);
      const entries = await world.store.listAudit(SERVICE, 10);
      expect(entries.every((e) => e.actor === 'alertmanager')).toBe(true);
      expect(entries.filter((e) => e.action === 'runbook-step').every((e) => e.via === 'runbook')).toBe(true);
    });

    it('as a dry run changes nothing: every change is a server-side dry run and says what it would do', async () => {
      const world = runbookWorld();
      const job = await world.start('rollback', { dryRun: true, id: 'dry-run:rollback@1' });

      expect(await world.continue(job)).toBe('succeeded');

      const execution = await world.execution('dry-run:rollback@1');
      expect(statuses(execution)).toEqual([
        '0 signal-flagger dry-run',
        '1 set-weights dry-run',
        '2 wait dry-run',
        '3 wait dry-run',
        '4 wait dry-run',
        '5 snapshot skipped',
      ]);
      expect(execution?.results.map((r) => r.detail).slice(0, 3)).toEqual([
        'would tell Flagger to roll back at its next check',
        'would change: primary 50 -> 100, canary 50 -> 0',
        'would wait up to 60 s until the Canary is Failed; now Progressing',
      ]);
      expect(world.cluster.weights.get(`${NS}/product-service`)).toEqual({ primary: 50, canary: 50 });
      expect((await world.store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
      expect(world.cluster.changes()).toEqual([{ verb: 'setWeights', target: `${NS}/product-service`, dryRun: true }]);
    });

    it('without a cluster still signals Flagger and says which steps were skipped', async () => {
      const world = runbookWorld({ cluster: false });
      expect(await world.continue(await world.start())).toBe('succeeded');

      const execution = await world.execution();
      expect(statuses(execution)).toEqual([
        '0 signal-flagger ok',
        '1 set-weights skipped',
        '2 wait skipped',
        '3 wait skipped',
        '4 wait skipped',
        '5 snapshot skipped',
      ]);
      expect(execution?.results[1]?.detail).toBe('no cluster is configured for production/product-service');
      expect((await world.store.getRun(SERVICE, 1))?.rollback?.by).toBe('alertmanager');
    });
  });

  describe('crashes and resumption', () => {
    it('resumes at the step it was on after a crash inside a step, without repeating the steps before', async () => {
      const world = runbookWorld();
      flaggerAgrees(world);
      const job = await world.start();
      world.cluster.throwOn('canaryState');

      await expect(world.continue(job)).rejects.toThrow('canaryState crashed');
      const crashed = await world.execution();
      expect(crashed?.next).toBe(2);
      expect(crashed?.lease).toBeUndefined();

      expect(await world.continue(job)).toBe('succeeded');
      expect(world.cluster.changes().filter((c) => c.verb === 'setWeights')).toHaveLength(1);
      expect((await world.execution())?.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('a crash at a checkpoint keeps the lease until it expires; then another worker reruns only that step', async () => {
      const store = new CrashingStore();
      const world = runbookWorld({ store });
      flaggerAgrees(world);
      const job = await world.start();
      store.crashAt = 3; // 1: the lease, 2: step 1 done, 3: step 2 done

      await expect(world.continue(job, { owner: 'first' })).rejects.toThrow('the worker died here');
      expect((await world.execution())?.lease?.owner).toBe('first');

      expect(await world.continue(job, { owner: 'second' })).toBe('busy');
      world.advance(60_001);
      expect(await world.continue(job, { owner: 'second' })).toBe('succeeded');

      const execution = await world.execution();
      expect(execution?.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(execution?.results[1]?.detail).toBe('already primary 100, canary 0');
      // Step 1 ran once; step 2 twice (the crash lost its checkpoint), and the audit trail says so.
      const audits = await world.stepAudits();
      expect(audits.filter((a) => a.includes('step 1/6'))).toHaveLength(1);
      expect(audits.filter((a) => a.includes('step 2/6'))).toHaveLength(2);
    });

    it('of two workers racing for one execution, one runs each step once and the other stops', async () => {
      const world = runbookWorld();
      flaggerAgrees(world);
      const job = await world.start();

      const outcomes = await Promise.all([world.continue(job), world.continue(job)]);

      expect(outcomes.sort()).toEqual(['lost', 'succeeded']);
      expect(world.cluster.changes()).toHaveLength(1);
      expect((await world.execution())?.results).toHaveLength(6);
      expect(world.events().filter((e) => e.type === 'runbook-ended')).toHaveLength(1);
    });

    it('does nothing for an ended execution (a redelivered job)', async () => {
      const world = runbookWorld();
      flaggerAgrees(world);
      const job = await world.start();
      await world.continue(job);
      const calls = world.cluster.calls.length;

      expect(await world.continue(job)).toBe('ended');
      expect(world.cluster.calls).toHaveLength(calls);
    });
  });

  describe('time', () => {
    it('re-queues a wait that outlasts the budget, still counting its timeout from its first start', async () => {
      const world = runbookWorld();
      const job = await world.start(); // the Canary stays Progressing

      expect(await world.continue(job, { budgetMs: 5_000 })).toBe('requeued');
      const paused = await world.execution();
      expect(paused?.current).toEqual({ index: 2, startedAt: new Date(T0).toISOString(), attempts: 1 });
      expect(paused?.lease).toBeUndefined();
      expect(world.runbookJobs()).toHaveLength(2); // the start's, and the re-queued one

      let outcome = 'requeued';
      let jobs = 1;
      while (outcome === 'requeued' && jobs < 50) {
        outcome = await world.continue(job, { budgetMs: 5_000 });
        jobs += 1;
      }

      expect(outcome).toBe('failed');
      const execution = await world.execution();
      const wait = execution?.results[2];
      expect(wait).toMatchObject({ status: 'failed', startedAt: new Date(T0).toISOString(), attempts: 12 });
      expect(wait?.detail).toBe('still Progressing after 60 s');
      expect(wait?.durationMs).toBeGreaterThanOrEqual(59_750);
      expect(wait?.durationMs).toBeLessThanOrEqual(60_000);
      expect(execution?.summary).toBe('step 3/6 wait failed: still Progressing after 60 s');
    });

    it('fails the execution when the whole-run deadline passed before a step', async () => {
      const world = runbookWorld();
      const job = await world.start();
      world.advance(5 * 60_000);

      expect(await world.continue(job)).toBe('failed');
      const execution = await world.execution();
      expect(execution?.results).toEqual([]);
      expect(execution?.summary).toMatch(/^timed out before step 1\/6 signal-flagger/);
      expect(world.cluster.calls).toEqual([]);
    });

    it("cuts a wait at the runbook's whole-run timeout", async () => {
      const world = runbookWorld({
        lines: [
          'quick:',
          '  timeout: 10s',
          '  steps:',
          '    - { kind: wait, until: { condition: canary-phase, phase: Failed }, timeout: 60s }',
        ],
      });
      expect(await world.continue(await world.start('quick'))).toBe('failed');
      expect((await world.execution('quick'))?.results[0]?.detail).toBe(
        "still Progressing after 10 s (the runbook's whole-run timeout)",
      );
    });
  });

  describe('confirm steps', () => {
    const lines = [
      'careful:',
      '  timeout: 1m',
      '  steps:',
      '    - { kind: confirm, prompt: Move all traffic to the primary? }',
      '    - { kind: set-weights, primary: 100, canary: 0 }',
    ];
    const who = { user: 'U0APPROVER1', via: 'C0RELEASES1' };

    it('waits without a worker, then goes on once confirmed, the wait not counted against the deadline', async () => {
      const world = runbookWorld({ lines, approvers: ['U0APPROVER1'] });
      const job = await world.start('careful');

      expect(await world.continue(job)).toBe('waiting');
      expect((await world.execution('careful'))?.state).toBe('waiting');
      expect(world.events().at(-1)).toMatchObject({ type: 'runbook-waiting', step: 0 });
      expect(world.cluster.changes()).toEqual([]);
      expect(await world.continue(job)).toBe('waiting');

      world.advance(10 * 60_000); // ten minutes for a person; the runbook's own minute is untouched
      const answer = await confirmRunbook({ ...world.deps, directory: noGroups }, SERVICE, who, 1, 'careful');
      expect(answer).toMatchObject({ result: 'accepted', code: 'runbook-confirmed' });
      expect(world.runbookJobs()).toHaveLength(2);

      expect(await world.continue(job)).toBe('succeeded');
      const execution = await world.execution('careful');
      expect(statuses(execution)).toEqual(['0 confirm ok', '1 set-weights ok']);
      expect(execution?.results[0]?.detail).toBe('confirmed by U0APPROVER1');
      expect(execution?.waitingSince).toBeUndefined();
    });

    it('counts a double confirm once', async () => {
      const world = runbookWorld({ lines, approvers: ['U0APPROVER1'] });
      const job = await world.start('careful');
      await world.continue(job);
      const deps = { ...world.deps, directory: noGroups };

      const answers = await Promise.all([
        confirmRunbook(deps, SERVICE, who, 1, 'careful'),
        confirmRunbook(deps, SERVICE, who, 1, 'careful'),
      ]);
      const again = await confirmRunbook(deps, SERVICE, who, 1, 'careful');

      expect(answers.map((a) => a.code).sort()).toEqual(['runbook-confirmed', 'runbook-not-waiting']);
      expect(again.code).toBe('runbook-not-waiting');
      expect(await world.continue(job)).toBe('succeeded');
      expect(statuses(await world.execution('careful'))).toEqual(['0 confirm ok', '1 set-weights ok']);
    });

    it('in a dry run says what it would ask and does not wait', async () => {
      const world = runbookWorld({ lines });
      const job = await world.start('careful', { dryRun: true, id: 'dry-run:careful@1' });

      expect(await world.continue(job)).toBe('succeeded');
      expect((await world.execution('dry-run:careful@1'))?.results[0]?.detail).toBe(
        'would ask: Move all traffic to the primary?',
      );
    });
  });
});
