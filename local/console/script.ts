import { join } from 'node:path';
import { build } from 'esbuild';

let built: Promise<string> | undefined;

/**
 * The console page's script, bundled from TypeScript on its first request (tens of milliseconds) and kept: the
 * page needs no build step beyond `npm install`, and the renderer the browser runs is the one the tests import.
 */
export function pageScript(): Promise<string> {
  built ??= build({
    entryPoints: [join(__dirname, 'page', 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]?.text ?? '');
  // A failed build is tried again on the next request rather than kept.
  built.catch(() => {
    built = undefined;
  });
  return built;
}
