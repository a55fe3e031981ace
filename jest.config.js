/** Jest runs the TypeScript sources through SWC (type checking is `tsc` in `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 30000,
  // Integration suites spawn processes and share one Redis; two workers fit this 2-core machine.
  maxWorkers: 2,
};
