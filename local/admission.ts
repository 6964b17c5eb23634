import { GATE_TYPES, type HookType } from '../shared/domain/flagger';
import { type HttpResult, text } from '../shared/http/responses';
import type { FailureCounter } from '../shared/observability/failure-counter';
import { logger } from '../shared/observability/logger';

/** Flagger calls refused unanswered because too many were in flight (a line of local `/metrics`). */
export const FLAGGER_CALLS_SHED = 'FlaggerCallsShed';

/**
 * Past this many Flagger calls in flight, one process is behind: each new call would only wait longer, towards
 * Flagger's 10 s timeout, after which every gate in the fleet counts as refused. Measured (`npm run bench:load`):
 * one call is served in about 1-2 ms, so 64 in flight is a wait of well under a second.
 */
export const FLAGGER_IN_FLIGHT_LIMIT = 64;

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
    private readonly limit = FLAGGER_IN_FLIGHT_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  async run(path: string, answer: () => Promise<HttpResult>): Promise<HttpResult> {
    const hook = /^\/flagger\/([^/]+)\/?$/.exec(path)?.[1] as HookType | undefined;
    if (this.inFlight >= this.limit && hook && SHEDDABLE.includes(hook)) return this.shed(hook);
    this.inFlight++;
    try {
      return await answer();
    } finally {
      this.inFlight--;
    }
  }

  private shed(hook: HookType): HttpResult {
    this.counter.count(FLAGGER_CALLS_SHED);
    // A warning every 10 s at most: under overload, a line per refused call would be more work for a busy process.
    if (this.now() - this.lastWarned >= 10_000) {
      this.lastWarned = this.now();
      logger.warn('Flagger calls refused: too many in flight', { limit: this.limit, hook });
    }
    const meaning = hook === 'rollback' ? 'no rollback is signalled on this tick' : 'the gate stays closed';
    return text(
      403,
      `release-bot is busy (${this.limit} Flagger calls in flight) and did not look at this ${hook} call: ` +
        `${meaning}, and Flagger asks again at its next interval.`,
    );
  }
}
