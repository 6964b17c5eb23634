import type { Server } from 'node:http';
import { FlaggerAdmission, loopDelayMonitor } from '../../local/admission';
import { startServer } from '../../local/server';
import { text } from '../../shared/http/responses';
import { FailureCounter } from '../../shared/observability/failure-counter';
import type { ReleaseStore } from '../../shared/ports/store';
import { type Harness, payload, SIGNING_SECRET, startHarness } from '../../testkit/bot';
import { captureLogs } from '../observability/capture-logs';

/** A handler answer that waits until the test lets it go. */
function held() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const answer = async () => {
    await gate;
    return text(200, 'answered');
  };
  return { release, answer };
}

describe('Backpressure on Flagger calls (FlaggerAdmission)', () => {
  it('refuses gate and rollback calls past the limit at once, with a sentence, and counts them', async () => {
    const counter = new FailureCounter();
    const admission = new FlaggerAdmission(counter, { inFlight: 2, loopDelayMs: 1000 });
    const one = held();
    const two = held();
    const first = admission.run('/flagger/confirm-promotion', one.answer);
    const second = admission.run('/flagger/confirm-rollout', two.answer);
    const logs = captureLogs();
    const shed = await Promise.all([
      admission.run('/flagger/confirm-promotion', async () => text(200, 'must not run')),
      admission.run('/flagger/confirm-traffic-increase', async () => text(200, 'must not run')),
      admission.run('/flagger/rollback', async () => text(200, 'must not run')),
    ]).finally(logs.restore);

    expect(shed.map((a) => a.statusCode)).toEqual([403, 403, 403]);
    expect(shed[0]?.body).toBe(
      'release-bot is busy (2 Flagger calls in flight, event loop 0 ms late) and did not look at this confirm-promotion call: ' +
        'the gate stays closed, and Flagger asks again at its next interval.\n',
    );
    expect(shed[2]?.body).toContain('no rollback is signalled on this tick');
    expect(counter.get('FlaggerCallsShed')).toBe(3);
    // One warning for the burst, not a line per refused call.
    expect(logs.lines().filter((l) => l.level === 'WARN')).toHaveLength(1);
    one.release();
    two.release();
    expect((await first).body).toBe('answered\n');
    expect((await second).body).toBe('answered\n');
  });

  it('never refuses the hooks whose refusal is a failed check or a lost event', async () => {
    const admission = new FlaggerAdmission(new FailureCounter(), { inFlight: 1, loopDelayMs: 1000 });
    const busy = held();
    const running = admission.run('/flagger/confirm-promotion', busy.answer);
    for (const hook of ['pre-rollout', 'rollout', 'post-rollout', 'event']) {
      expect((await admission.run(`/flagger/${hook}`, async () => text(200, hook))).body).toBe(`${hook}\n`);
    }
    busy.release();
    await running;
  });

  it('refuses them while the event loop runs late, and admits them again once it catches up', async () => {
    let delay = 80;
    const admission = new FlaggerAdmission(new FailureCounter(), { inFlight: 64, loopDelayMs: 50 }, () => delay);
    const late = await admission.run('/flagger/confirm-promotion', async () => text(200, 'must not run'));
    const rollout = await admission.run('/flagger/rollout', async () => text(200, 'rollout'));
    delay = 3;
    const caughtUp = await admission.run('/flagger/confirm-promotion', async () => text(200, 'admitted'));

    expect(late.body).toContain('event loop 80 ms late');
    expect(rollout.body).toBe('rollout\n');
    expect(caughtUp.body).toBe('admitted\n');
  });

  const block = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until); // the loop is busy: the monitor's timer cannot fire
  };
  const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('does not count one stall as a late loop: the call after a GC pause is answered', async () => {
    const monitor = loopDelayMonitor({ everyMs: 5, stuckMs: 1000 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      block(250);
      await turn();

      expect(monitor.delay()).toBeLessThan(200);
    } finally {
      monitor.stop();
    }
  });

  it('counts a loop that stays behind, and reads it as on time again once it caught up', async () => {
    const monitor = loopDelayMonitor({ everyMs: 5, stuckMs: 1000 });
    try {
      for (let i = 0; i < 8; i++) {
        block(250);
        await turn();
      }
      const behind = monitor.delay();
      let caughtUp = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 100 && caughtUp >= 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        caughtUp = monitor.delay();
      }

      expect(behind).toBeGreaterThanOrEqual(200);
      expect(caughtUp).toBeLessThan(50);
    } finally {
      monitor.stop();
    }
  });

  it('reads a turn stuck for longer than stuckMs as late at once, from inside that turn', () => {
    const monitor = loopDelayMonitor({ everyMs: 5, stuckMs: 300 });
    try {
      block(350);

      expect(monitor.delay()).toBeGreaterThanOrEqual(300);
    } finally {
      monitor.stop();
    }
  });

  it('admits again once calls finish, also calls that failed', async () => {
    const admission = new FlaggerAdmission(new FailureCounter(), { inFlight: 1, loopDelayMs: 1000 });
    await expect(
      admission.run('/flagger/confirm-promotion', () => Promise.reject(new Error('store down'))),
    ).rejects.toThrow('store down');
    const next = await admission.run('/flagger/confirm-promotion', async () => text(200, 'admitted'));

    expect(next.body).toBe('admitted\n');
  });
});

describe('Backpressure on the local server', () => {
  let h: Harness;
  let slow: { server: Server; url: string };
  let releaseStore: () => void = () => undefined;
  let reachedStore = 0;

  beforeAll(async () => {
    h = await startHarness();
    const stalled = new Promise<void>((resolve) => {
      releaseStore = resolve;
    });
    // A store that answers only when the test says so: the calls it holds stay in flight.
    const held = new Proxy(h.bot.deps.store, {
      get: (target, key) => {
        const value = target[key as keyof ReleaseStore];
        return typeof value === 'function'
          ? async (...args: unknown[]) => {
              reachedStore++;
              await stalled;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            }
          : value;
      },
    });
    slow = await startServer({
      deps: { ...h.bot.deps, store: held },
      port: 0,
      flaggerToken: h.bot.flaggerToken,
      slack: { signingSecret: SIGNING_SECRET, botToken: 'xoxb-test-token' },
      flaggerLimits: { inFlight: 2, loopDelayMs: 10_000 },
    });
  });

  afterAll(async () => {
    releaseStore();
    await new Promise((resolve) => slow.server.close(resolve));
    await h.stop();
  });

  const call = (hook: string) =>
    fetch(`${slow.url}/flagger/${hook}`, { method: 'POST', body: JSON.stringify(payload('Progressing', 'rev-1')) });

  it('answers the third waiting gate call 403 at once while two wait on the store, and shows the count', async () => {
    const waiting = [call('confirm-promotion'), call('confirm-promotion')];
    while (reachedStore < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const logs = captureLogs();
    const third = await call('confirm-promotion').finally(logs.restore);

    expect(third.status).toBe(403);
    expect(await third.text()).toContain('release-bot is busy (2 Flagger calls in flight');
    const metrics = await (await fetch(`${slow.url}/metrics`)).text();
    expect(metrics).toContain('release_bot_flagger_calls_shed_total 1');

    releaseStore();
    const answers = await Promise.all(waiting.map(async (r) => (await r).text()));
    expect(answers.every((a) => a.includes('waiting for approval'))).toBe(true);
  });
});
