import type { Reading } from '../domain/snapshot';

/** A metrics backend (Prometheus). Failures come back as readings with a reason, never as exceptions. */
export interface MetricsSource {
  readonly description: string;
  instant(query: string, at: Date): Promise<Reading>;
  /** Samples from `start` to `end` every `stepSeconds`, oldest first; null where the series has no sample. */
  range(query: string, start: Date, end: Date, stepSeconds: number): Promise<(number | null)[]>;
}
