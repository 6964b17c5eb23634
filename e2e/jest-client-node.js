/**
 * Jest global setup for the e2e suite: @kubernetes/client-node 2.x is ESM-only and Jest's CommonJS runtime cannot
 * load it, so the bot running in-process (its runbooks act on the harness cluster) gets one CommonJS bundle of it,
 * made here by esbuild (about 2 s) and mapped in e2e/jest.config.js. Outside Jest, Node 22 loads the package itself.
 * Rebuilt when the installed package is newer than the bundle.
 */
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, '.build', 'jest', 'client-node.cjs');

module.exports = async function bundleClientNode() {
  const entry = require.resolve('@kubernetes/client-node', { paths: [ROOT] });
  const manifest = join(entry, '..', '..', 'package.json');
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= statSync(manifest).mtimeMs) return;
  await require('esbuild').build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile: BUNDLE,
    logLevel: 'warning',
  });
};

module.exports.BUNDLE = BUNDLE;
