/**
 * The end-to-end suite (test/e2e): real etcd, kube-apiserver, Flagger and Prometheus on loopback, so minutes per
 * scenario. Build the binaries first, then run it on its own:
 *
 *   bash e2e/build.sh && npx jest -c e2e/jest.config.js
 *
 * `npm run test:e2e` does both. The main jest.config.js leaves test/e2e out, so `npm test` needs no Go binaries.
 */

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // the in-process bot's cluster adapter: a CommonJS bundle of the ESM-only client-node (e2e/jest-client-node.js)
  globalSetup: '<rootDir>/e2e/jest-client-node.js',
  moduleNameMapper: { '^@kubernetes/client-node$': '<rootDir>/.build/jest/client-node.cjs' },
  testTimeout: 600_000,
  // One scenario at a time: each starts its own cluster, and the machine has 2 cores.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
