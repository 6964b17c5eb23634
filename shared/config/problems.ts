import * as z from 'zod';

/**
 * zod's issues as sentences a person fixing a YAML file can act on: an unknown key names the key it was probably
 * meant to be (and the missing required key it was meant to be is not reported again), a value outside a fixed set
 * lists the set. Paths stay zod's; the caller adds line numbers.
 */
export interface Problem {
  path: (string | number)[];
  /** Where to point in the file: the offending key itself when there is one. */
  at: (string | number)[];
  message: string;
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
};

export function describeIssues(schema: z.ZodType, issues: z.core.$ZodIssue[], input: unknown): Problem[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const keyPath = (path: PropertyKey[]) => path.filter((s): s is string | number => typeof s !== 'symbol');
  const meant = new Set<string>();
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const path = keyPath(issue.path);
    const known = keysAt(json, path);
    for (const key of issue.keys) {
      const guess = closest(
        key,
        known.filter((k) => !hasKey(valueAt(input, path), k)),
      );
      if (guess) meant.add(JSON.stringify([...path, guess]));
      const hint = guess ? `did you mean "${guess}"?` : known.length > 0 ? `allowed: ${known.join(', ')}` : '';
      problems.push({ path, at: [...path, key], message: `unknown key "${key}"${hint ? `: ${hint}` : ''}` });
    }
  }
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') continue;
    // A required key reported missing because it was misspelt: the unknown-key sentence already says so.
    if (
      issue.code === 'invalid_type' &&
      valueAt(input, issue.path) === undefined &&
      meant.has(JSON.stringify(issue.path))
    ) {
      continue;
    }
    problems.push({ path: keyPath(issue.path), at: keyPath(issue.path), message: messageOf(issue, input) });
  }
  return problems;
}

function messageOf(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  if (issue.code === 'invalid_union') {
    // e.g. a gate written `manul`: one branch wanted one of the modes, the other an object.
    const allowed = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values.map(String) : []));
    if (allowed.length > 0) {
      return `${JSON.stringify(valueAt(input, issue.path))} is not allowed here: use one of ${[...new Set(allowed)].join(', ')}`;
    }
  }
  if (issue.code === 'invalid_value' && issue.values.length > 1) {
    return `${JSON.stringify(valueAt(input, issue.path))} is not allowed here: use one of ${issue.values.map(String).join(', ')}`;
  }
  return issue.message;
}

/** The keys an object at `path` may have, as the schema says (records: none to name). */
function keysAt(schema: JsonSchema, path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchema[] = [schema];
  for (const segment of path) {
    nodes = nodes.flatMap(branches).flatMap((node) => {
      if (typeof segment === 'number') return node.items ? [node.items] : [];
      const own = node.properties?.[String(segment)];
      if (own) return [own];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(branches).flatMap((node) => Object.keys(node.properties ?? {})))];
}

const branches = (node: JsonSchema): JsonSchema[] =>
  node.anyOf || node.oneOf ? [...(node.anyOf ?? []), ...(node.oneOf ?? [])].flatMap(branches) : [node];

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const hasKey = (value: unknown, key: string): boolean =>
  typeof value === 'object' && value !== null && Object.hasOwn(value, key);

/** The known key within two edits of `key` (a typo), if exactly one is closest. */
function closest(key: string, known: string[]): string | undefined {
  const scored = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).filter((s) => s.d <= 2);
  scored.sort((a, b) => a.d - b.d);
  const [best, next] = scored;
  return best && (!next || next.d > best.d) ? best.k : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
