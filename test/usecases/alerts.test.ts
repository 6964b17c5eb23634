import { MemoryStore } from '../../shared/adapters/memory-store';
import { parseConfig } from '../../shared/config/load';
import type { AlertFacts } from '../../shared/domain/alert';
import type { Run } from '../../shared/domain/release';
import type { Job } from '../../shared/ports/queue';
import { receiveAlert } from '../../shared/usecases/alerts';
import type { CoreDeps } from '../../shared/usecases/deps';
import { aGate, aRun } from '../../testkit/builders';

const SERVICE = 'production/product-service';
const CONFIG = parseConfig(`
alerts:
  autoRollback: { severities: [critical], alertnames: [CanaryDown] }
services:
  ${SERVICE}:
    channel: C0RELEASES1
    approvers: { users: [U0APPROVER1] }
    gates: { confirm-rollout: manual }
  production/checkout:
    channel: C0RELEASES1
    target: checkout-api
`);

const firing = (overrides: Partial<AlertFacts> = {}): AlertFacts => ({
  fingerprint: 'abc123',
  name: 'CanaryErrorRate',
  status: 'firing',
  severity: 'critical',
  startsAt: '2026-12-03T10:00:00.123Z',
  summary: 'error rate 12%',
  labels: { alertname: 'CanaryErrorRate', namespace: 'production', canary: 'product-service', severity: 'critical' },
  ...overrides,
});

async function setUp(run?: Partial<Run>) {
  const store = new MemoryStore();
  const jobs: Job[] = [];
  const deps: CoreDeps = {
    config: CONFIG,
    store,
    queue: { send: async (job) => void jobs.push(job) },
    now: () => new Date('2026-12-03T10:00:05.000Z'),
  };
  if (run) await store.startRun(aRun({ service: SERVICE, ...run }), 0);
  const events = () => jobs.flatMap((j) => (j.kind === 'event' ? [j.event] : []));
  const alertAudit = async () => (await store.listAudit(SERVICE, 50)).filter((e) => e.action === 'alert');
  return { store, jobs, deps, events, alertAudit };
}

const progressing = {
  state: 'progressing' as const,
  phase: 'Progressing' as const,
  weight: 20,
  hooks: ['rollback' as const],
};

describe('receiveAlert', () => {
  it('answers unmatched, and audits nothing, for an alert that names no configured service', async () => {
    const { deps, store, jobs } = await setUp(progressing);
    expect(await receiveAlert(deps, firing({ labels: { alertname: 'X' } }))).toEqual({
      code: 'unmatched',
      why: 'no-label',
    });
    expect(await receiveAlert(deps, firing({ labels: { namespace: 'production', app: 'other' } }))).toEqual({
      code: 'unmatched',
      why: 'not-configured',
      service: 'production/other',
    });
    expect(await store.listAudit(SERVICE, 10)).toEqual([]);
    expect(jobs).toEqual([]);
  });

  it('notes an alert for a service with no release in flight, as refused, and posts nothing', async () => {
    const { deps, jobs, alertAudit } = await setUp();
    expect(await receiveAlert(deps, firing())).toEqual({ code: 'no-release', service: SERVICE });
    const [entry] = await alertAudit();
    expect(entry).toMatchObject({ actor: 'alertmanager', outcome: 'refused', via: 'alertmanager' });
    expect(entry?.detail).toContain('no release in flight');
    expect(JSON.parse(entry?.evidence ?? '{}')).toMatchObject({ fingerprint: 'abc123' });
    expect(jobs).toEqual([]);
  });

  it('treats an ended release as no release', async () => {
    const { deps } = await setUp({ state: 'ended', phase: 'Succeeded', outcome: 'succeeded' });
    expect((await receiveAlert(deps, firing())).code).toBe('no-release');
  });

  it('rolls back a critical alert once, however often it is delivered, and sets the Flagger signal', async () => {
    const { deps, store, jobs, events, alertAudit } = await setUp(progressing);
    const first = await receiveAlert(deps, firing());
    expect(first).toMatchObject({ code: 'rolling-back', run: { service: SERVICE, number: 1 } });
    const run = await store.getRun(SERVICE, 1);
    expect(run?.rollback).toMatchObject({ by: 'alertmanager' });
    expect(run?.rollback?.reason).toBe('alert CanaryErrorRate (critical): error rate 12%');
    // A repeat, and the HA twin of the same notification.
    expect((await receiveAlert(deps, firing())).code).toBe('already-rolling-back');
    expect((await receiveAlert(deps, firing({ fingerprint: 'other' }))).code).toBe('already-rolling-back');
    expect(events().filter((e) => e.type === 'rollback-requested')).toHaveLength(1);
    expect(events().filter((e) => e.type === 'runbook-started')).toHaveLength(1);
    expect(
      events()
        .filter((e) => e.type === 'alert-received')
        .map((e) => 'action' in e && e.action),
    ).toEqual(['rolling-back', 'already-rolling-back', 'already-rolling-back']);
    expect(jobs.filter((j) => j.kind === 'runbook').length).toBeGreaterThanOrEqual(1);
    expect(await alertAudit()).toHaveLength(3);
  });

  it('rolls back by alert name too, and only once when alerts race', async () => {
    const { deps, events } = await setUp(progressing);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        receiveAlert(deps, firing({ fingerprint: `f${i}`, name: 'CanaryDown', severity: 'warning' })),
      ),
    );
    expect(outcomes.filter((o) => o.code === 'rolling-back')).toHaveLength(1);
    expect(events().filter((e) => e.type === 'rollback-requested')).toHaveLength(1);
  });

  it('offers a Roll back button for an alert the policy does not roll back on its own', async () => {
    const { deps, store, events } = await setUp(progressing);
    expect(await receiveAlert(deps, firing({ severity: 'warning' }))).toMatchObject({ code: 'offered', why: 'policy' });
    expect((await store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
    expect(events()).toEqual([expect.objectContaining({ type: 'alert-received', action: 'offered' })]);
  });

  it('offers when the phase cannot be rolled back', async () => {
    const { deps, store } = await setUp({ ...progressing, phase: 'Promoting' });
    expect(await receiveAlert(deps, firing())).toMatchObject({ code: 'offered', why: 'not-rollable' });
    expect((await store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
  });

  it('reports a resolved alert in the thread', async () => {
    const { deps, events, alertAudit } = await setUp(progressing);
    const resolved = firing({ status: 'resolved', endsAt: '2026-12-03T10:05:00.000Z' });
    expect(await receiveAlert(deps, resolved)).toMatchObject({ code: 'resolved' });
    expect(events()).toEqual([{ type: 'alert-resolved', service: SERVICE, run: 1, alert: resolved }]);
    expect((await alertAudit())[0]?.outcome).toBe('accepted');
  });

  it('rejects the pending confirm-rollout of a Waiting release instead of rolling back', async () => {
    const { deps, store, events } = await setUp({ phase: 'Waiting' });
    await store.openGate(
      aGate({ service: SERVICE, key: 'confirm-rollout', gate: 'confirm-rollout', expiresAt: '2026-12-03T12:00:00Z' }),
    );
    expect(await receiveAlert(deps, firing())).toMatchObject({ code: 'rejected-rollout', already: false });
    const gate = await store.getGate(SERVICE, 1, 'confirm-rollout');
    expect(gate?.status).toBe('rejected');
    expect(gate?.rejection).toMatchObject({ by: 'alertmanager', reason: 'alert CanaryErrorRate: error rate 12%' });
    expect((await store.getRun(SERVICE, 1))?.rollback).toBeUndefined();
    expect((await receiveAlert(deps, firing())).code).toBe('rejected-rollout');
    expect(events().filter((e) => e.type === 'gate-rejected')).toHaveLength(1);
    expect(
      events()
        .filter((e) => e.type === 'alert-received')
        .map((e) => 'action' in e && e.action),
    ).toEqual(['rejected-rollout', 'rejected-rollout']);
  });

  it('matches a service by its configured target, and Istio workload names with -primary', async () => {
    const { deps } = await setUp();
    const labels = { destination_workload_namespace: 'production', destination_workload: 'checkout-api-primary' };
    expect(await receiveAlert(deps, firing({ labels }))).toEqual({
      code: 'no-release',
      service: 'production/checkout',
    });
  });
});
