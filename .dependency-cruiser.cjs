/**
 * The layers of src/ and the directions imports may take between them (README, "Layout").
 * `npm test` runs this through `npm run lint`: a wrong-way import or a cycle fails the suite.
 *
 * Bottom to top:
 *   platform/ (Meta's facts, pure)  ·  errors.ts
 *   config/ · logger.ts · metrics.ts
 *   engine/ (pure: flows' types, transition)       store/ (ports, keys, inbox events, adapters)
 *   flows/ (loader, linter)  messenger/ (Graph I/O, policy)  emulator/ (the fake Meta)  http/
 *   requests/ (the safe outbound HTTP client: flow requests, outgoing webhooks)
 *   audience/ (cards, filters, the index walk)
 *   broadcasts/ (definitions: schema, linter, loader)
 *   webhook/ · admin/ · runtime/
 *   server.ts (composition root) · cli/
 */
const layer = (name, path, mayImport) => ({
  name: `${name}-imports-only-below`,
  comment: `${name} may import only: ${mayImport.join(', ') || 'nothing of src/'}`,
  severity: 'error',
  from: { path },
  to: { path: '^src/', pathNot: [path, ...mayImport.map((p) => `^src/${p}`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no file may reach itself through imports',
      from: {},
      to: { circular: true },
    },
    layer('platform', '^src/platform/', []),
    layer('errors', '^src/errors\\.ts$', []),
    layer('config', '^src/config/', ['errors\\.ts$']),
    layer('logger', '^src/logger\\.ts$', []),
    layer('metrics', '^src/metrics\\.ts$', []),
    layer('engine', '^src/engine/', ['platform/']),
    layer('store', '^src/store/', ['platform/', 'errors\\.ts$', 'logger\\.ts$']),
    layer('flows', '^src/flows/', ['engine/', 'platform/', 'errors\\.ts$']),
    layer('messenger', '^src/messenger/', ['platform/', 'errors\\.ts$', 'config/', 'logger\\.ts$', 'metrics\\.ts$']),
    layer('emulator', '^src/emulator/', ['platform/']),
    layer('requests', '^src/requests/', [
      'store/(?!redis/|memory/)',
      'engine/',
      'platform/',
      'errors\\.ts$',
      'logger\\.ts$',
      'metrics\\.ts$',
      'config/',
    ]),
    layer('http', '^src/http/', ['metrics\\.ts$']),
    layer('webhook', '^src/webhook/', [
      'store/(?!redis/|memory/)',
      'platform/',
      'errors\\.ts$',
      'logger\\.ts$',
      'metrics\\.ts$',
      'config/',
    ]),
    layer('audience', '^src/audience/', ['store/(?!redis/|memory/)', 'engine/', 'platform/', 'errors\\.ts$']),
    layer('broadcasts', '^src/broadcasts/', [
      'audience/',
      'store/(?!redis/|memory/)',
      'engine/',
      'flows/',
      'platform/',
      'errors\\.ts$',
    ]),
    layer('admin', '^src/admin/', [
      'audience/',
      'broadcasts/',
      'store/(?!redis/|memory/)',
      'engine/',
      'platform/',
      'errors\\.ts$',
      'logger\\.ts$',
      'metrics\\.ts$',
    ]),
    layer('runtime', '^src/runtime/', [
      'audience/',
      'requests/',
      'broadcasts/',
      'store/(?!redis/|memory/)',
      'engine/',
      'flows/',
      'messenger/',
      'platform/',
      'errors\\.ts$',
      'logger\\.ts$',
      'metrics\\.ts$',
      'config/',
    ]),
    {
      name: 'adapters-only-in-the-composition-root',
      comment: 'only src/server.ts wires concrete store adapters; everything else uses the ports',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/server\\.ts$', '^src/store/'] },
      to: { path: '^src/store/(redis|memory)/' },
    },
    {
      name: 'pure-engine-and-platform',
      comment:
        'engine/ and platform/ do no I/O: no Node core modules, no client libraries (zod, and minisearch for the in-memory question index, are pure)',
      severity: 'error',
      from: { path: '^src/(engine|platform)/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'],
        pathNot: ['node_modules/zod/', 'node_modules/minisearch/'],
      },
    },
    {
      name: 'src-never-imports-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'production-code-uses-production-dependencies',
      comment: 'npm ci --omit=dev leaves devDependencies out, so src/ must not need them',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^dist/' },
  },
};
