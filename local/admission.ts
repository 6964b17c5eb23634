import { GATE_TYPES, type HookType } from '../shared/domain/flagger';
import { type HttpResult, text } from '../shared/http/responses';
import type { FailureCounter } from '../shared/observability/failure-counter';
import { logger } from '../shared/observability/logger';

/** Flagger calls refused unanswered because the bot was busy (a line of local `/metrics`). */
export const FLAGGER_CALLS_SHED = 'FlaggerCallsShed';

/**
 * Past either limit one process is behind, and each new call would only wait longer, towards Flagger's 10 s
 * timeout, after which every gate in the fleet counts as refused. Calls in flight bound the waits on the store;
 * the event loop's delay bounds the wait for the CPU, which is where an overloaded bot queues most (requests wait
 * to be read before any handler sees them; `npm run bench:load`).
 */
export const LIMITS = { inFlight: 64, loopDelayMs: 200 };

/**
 * The hooks whose refusal only means "not yet": a gate stays closed, or no rollback is signalled on this tick, and
 * Flagger asks again at its next interval. The others are never refused for load: a non-2xx from pre-rollout or
 * rollout is a failed check (enough of them roll the canary back), and an event or post-rollout call is not sent
 * again, so refusing it would lose it.
 */
const SHEDDABLE: readonly HookType[] = [...GATE_TYPES, 'rollback'];

/** Backpressure on the Flagger route: a quick 403 with a sentence when busy, instead of every caller waiting longer. */
export class FlaggerAdmission {
  private inFlight = 0;
  private lastWarned = 0;

  constructor(
    private readonly counter: FailureCounter,
    private readonly limits = LIMITS,
    /** How late the event loop runs now, in ms. */
    private readonly loopDelay: () => number = () => 0,
    private readonly now: () => number = Date.now,
  ) {}

  async run(path: string, answer: () => Promise<HttpResult>): Promise<HttpResult> {
    const hook = /^\/flagger\/([^/]+)\/?$/.exec(path)?.[1] as HookType | undefined;
    if (hook && SHEDDABLE.includes(hook) && this.busy()) return this.shed(hook);
    this.inFlight++;
    try {
      return await answer();
    } finally {
      this.inFlight--;
    }
  }

  private busy(): boolean {
    return this.inFlight >= this.limits.inFlight || this.loopDelay() >= this.limits.loopDelayMs;
  }

  private shed(hook: HookType): HttpResult {
    this.counter.count(FLAGGER_CALLS_SHED);
    const load = { inFlight: this.inFlight, loopDelayMs: Math.round(this.loopDelay()) };
    // A warning every 10 s at most: under overload, a line per refused call would be more work for a busy process.
    if (this.now() - this.lastWarned >= 10_000) {
      this.lastWarned = this.now();
      logger.warn('Flagger calls refused: release-bot is busy', { ...load, limits: this.limits, hook });
    }
    const meaning = hook === 'rollback' ? 'no rollback is signalled on this tick' : 'the gate stays closed';
    return text(
      403,
      `release-bot is busy (${load.inFlight} Flagger calls in flight, event loop ${load.loopDelayMs} ms late) and ` +
        `did not look at this ${hook} call: ${meaning}, and Flagger asks again at its next interval.`,
    );
  }
}

/**
 * How late the event loop runs, as a sustained figure: a timer due every 10 ms, and a moving average of how late
 * it fired (each firing weighs 30 %), so one stall (a GC pause, a chart rendered, the machine busy elsewhere) does
 * not refuse the call that happens to come next, while a loop that stays behind reaches the limit within a few
 * firings. Read between firings, a turn that has run longer than `stuckMs` counts as late at once: one turn of an
 * overloaded loop can read hundreds of requests before any timer runs. `stop` ends the timer.
 */
export function loopDelayMonitor(options: { everyMs?: number; stuckMs?: number } = {}): {
  delay: () => number;
  stop: () => void;
} {
  const { everyMs = 10, stuckMs = 1000 } = options;
  let smoothed = 0;
  let due = performance.now() + everyMs;
  const timer = setInterval(() => {
    const now = performance.now();
    smoothed = 0.7 * smoothed + 0.3 * Math.max(0, now - due);
    due = now + everyMs;
  }, everyMs);
  timer.unref();
  const delay = () => {
    const overdue = performance.now() - due;
    return overdue >= stuckMs ? overdue : smoothed;
  };
  return { delay, stop: () => clearInterval(timer) };
}
