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
  // The suite brings its own Redis: a private redis-server on a free port, unless TEST_REDIS_URL
  // names another one (tests/support/globalSetup.ts).
  globalSetup: '<rootDir>/tests/support/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/support/globalTeardown.ts',
  // A backstop against a hang, not a speed limit: tests wait for conditions, and a condition's
  // wait (waitFor: 60 s by default) returns the moment it holds, so on a slow machine a test takes
  // longer but still passes. Kept above those waits so a stuck one is reported by name.
  testTimeout: 120000,
  // Integration suites spawn processes and share one Redis; two workers fit this 2-core machine.
  maxWorkers: 2,
};
