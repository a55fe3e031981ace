/**
 * Jest runs the TypeScript sources through ts-jest in transpile-only mode (type checking is the
 * `tsc` build that `npm test` runs first). ts-jest rather than a native transformer: the registry
 * here serves no other platforms' native bindings, so their packages could not be in the lockfile
 * and `npm ci` would refuse it.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  // Integration suites spawn processes and share one Redis; two workers fit this 2-core machine.
  maxWorkers: 2,
};
