/* Objects from the apiserver arrive as untyped JSON: these read a field without trusting its shape. */

export const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** A path of fields, `at(x, 'spec', 'analysis')`. */
export const at = (value: unknown, ...keys: string[]): unknown => keys.reduce(field, value);

export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

export const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
