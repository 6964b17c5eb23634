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
