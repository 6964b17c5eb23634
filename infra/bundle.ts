import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How the functions are bundled, shared by the CDK stack and the cold-start benchmark so both measure one thing. */
export const BUNDLE = {
  target: 'node22',
  minify: true,
  sourcemap: true,
  // CommonJS, which Lambda's runtime loads with require(): the AWS SDK packages are CommonJS, and an ESM bundle
  // importing them makes Node lex each one for its export names and detect its format, which cost the Flagger
  // function about a quarter of its cold start (bench/cold-start.ts).
  format: 'cjs' as const,
  // ES module builds of the dependencies first (esbuild's default for Node is the reverse; the stack passes this too).
  mainFields: ['module', 'main'],
  // The Lambda runtime ships AWS SDK v3 (Powertools' SDK clients included): none of it goes into a bundle.
  external: ['@aws-sdk/*'],
  // Set on every function by the stack; the benchmark starts its Node processes with the same.
  environment: { NODE_OPTIONS: '--enable-source-maps' },
};

const ROOT = join(__dirname, '..');

/**
 * Files a bundle reads at run time through `require.resolve` (the chart's wasm and fonts), copied from the local
 * node_modules next to the bundle. Copying, not `nodeModules` bundling: that runs `npm ci`, which needs the network.
 */
export const RUNTIME_FILES: Record<string, readonly string[]> = {
  worker: [
    '@resvg/resvg-wasm/package.json',
    '@resvg/resvg-wasm/index_bg.wasm',
    '@expo-google-fonts/roboto/package.json',
    '@expo-google-fonts/roboto/400Regular/Roboto_400Regular.ttf',
    '@expo-google-fonts/roboto/700Bold/Roboto_700Bold.ttf',
  ],
};

/** Shell commands that copy a function's runtime files into its asset folder (the stack's afterBundling hook). */
export function copyCommands(files: readonly string[], outputDir: string): string[] {
  return files.flatMap((file) => [
    `mkdir -p "${join(outputDir, 'node_modules', dirname(file))}"`,
    `cp "${join(ROOT, 'node_modules', file)}" "${join(outputDir, 'node_modules', file)}"`,
  ]);
}

/** Bundles one Lambda entry point the way the stack does, for tests and benchmarks that load it in plain Node. */
export async function bundleFunction(entry: string, outfile: string, files: readonly string[] = []): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: BUNDLE.format,
    mainFields: BUNDLE.mainFields,
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourcemap,
    external: BUNDLE.external,
    logLevel: 'error',
  });
  for (const file of files) {
    const target = join(dirname(outfile), 'node_modules', file);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(ROOT, 'node_modules', file), target);
  }
}
