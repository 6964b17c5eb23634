import { parseDuration } from '../../shared/domain/duration';
import { stopAll } from './processes';
import type { Scenario } from './scenario';

/**
 * What the e2e benchmarks share: one scenario at a time, stopped once on exit, on Ctrl-C or on a failure, so no
 * etcd, apiserver or Flagger outlives the script.
 */
export function benchRun(): { use: (s: Scenario) => void; shutdown: (code: number) => Promise<never> } {
  let scenario: Scenario | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): Promise<never> => {
    stopping ??= (async () => {
      try {
        if (scenario) await scenario.stop();
        else await stopAll();
      } catch (error) {
        console.error(`stopping failed: ${(error as Error).message}`);
      }
    })();
    return stopping.then(() => process.exit(code));
  };
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));
  return {
    use: (s) => {
      scenario = s;
    },
    shutdown,
  };
}

/** A Go duration as the Canary writes it (`10s`, `1m30s`) in ms. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`"${text}" is not a Go duration`);
  return ms;
}
