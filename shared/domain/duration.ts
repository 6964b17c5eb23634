const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const parse = (text: string, parts: RegExp): number | undefined => {
  const found = [...text.trim().matchAll(parts)];
  if (found.length === 0 || found.map((p) => p[0]).join('') !== text.trim()) return undefined;
  return found.reduce((total, [, amount, unit]) => total + Number(amount) * (UNIT_MS[unit ?? ''] ?? 0), 0);
};

/** Parses Go-style durations ("90s", "30m", "1h30m"); undefined when the text is not one. */
export const parseDuration = (text: string): number | undefined => parse(text, /(\d+)(ms|s|m|h|d)/g);

/** Istio's durations, which may have fractions ("1.5s", "500ms", "5s"), as in VirtualServices and DestinationRules. */
export const parseMeshDuration = (text: string): number | undefined => parse(text, /(\d+(?:\.\d+)?)(ms|s|m|h)/g);
