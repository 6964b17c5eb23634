/** Internal failures on the Flagger path: the metric infra/alarms.ts alarms on, and a line of local `/metrics`. */
export const FLAGGER_FAILURES = 'FlaggerInternalFailures';
/** Alertmanager notifications the bot failed to process (answered 500, so retried). */
export const ALERTMANAGER_FAILURES = 'AlertmanagerInternalFailures';

/**
 * Internal failures counted in process, for the local server's `GET /metrics` (on AWS the same failures are EMF
 * metrics, `functions/aws/observe.ts`). It lets an operator tell a gate that is waiting for approval (a 403 that
 * counts nothing) from one that is broken (a 403 that counts here and is logged with its stack).
 */
export class FailureCounter {
  private readonly counts = new Map<string, number>();

  count(metric: string): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + 1);
  }

  get(metric: string): number {
    return this.counts.get(metric) ?? 0;
  }

  /** Prometheus' text format, `release_bot_<metric>_total`, every known metric listed even at zero. */
  exposition(metrics: readonly string[]): string {
    const names = [...new Set([...metrics, ...this.counts.keys()])];
    return names
      .map((metric) => {
        const name = `release_bot_${snake(metric)}_total`;
        return `# TYPE ${name} counter\n${name} ${this.get(metric)}`;
      })
      .join('\n');
  }
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
