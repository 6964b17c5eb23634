/**
 * Builds a value once per distinct input and keeps only the latest: clients are rebuilt when a secret rotates or a
 * configuration version changes, and not on every invocation. Inputs are compared by identity (configs, kept
 * while their text is unchanged, ./parameters.ts) or by value (strings).
 */
export function latest<K, V>(build: (key: K) => V): (key: K) => V {
  let last: { key: K; value: V } | undefined;
  return (key) => {
    if (!last || last.key !== key) last = { key, value: build(key) };
    return last.value;
  };
}
