/** How the functions are bundled, shared by the CDK stack and the cold-start benchmark so both measure one thing. */
export const BUNDLE = {
  target: 'node22',
  minify: true,
  sourcemap: true,
  // CommonJS dependencies (Bolt, axios) call require(); an ESM bundle must define it.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // The Lambda runtime ships AWS SDK v3.
  external: ['@aws-sdk/*'],
};

/** Bundles one Lambda entry point the way the stack does, for tests and benchmarks that load it in plain Node. */
export async function bundleFunction(entry: string, outfile: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    mainFields: ['module', 'main'],
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourcemap,
    banner: { js: BUNDLE.banner },
    external: BUNDLE.external,
    logLevel: 'error',
  });
}
