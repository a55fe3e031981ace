import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFlowTests } from '../src/flows/runFlowTests';

/**
 * npm run bench:flowtests: 200 conversation tests (the shop demo's tests, copied round-robin) run
 * by `talkshop flows test`'s runner, loading included. Prints one JSON line: the wall time of the
 * whole run (goal < 2 s), the time of the tests alone, and per test.
 */
const COUNT = 200;
const flowsDir = join(__dirname, '..', '..', 'flows');
const dir = mkdtempSync(join(tmpdir(), 'bench-flowtests-'));
try {
  cpSync(flowsDir, dir, { recursive: true });
  const testsDir = join(dir, 'tests');
  const sources = readdirSync(testsDir).filter((f) => f.endsWith('.yaml'));
  rmSync(testsDir, { recursive: true });
  mkdirSync(testsDir);
  for (let i = 0; i < COUNT; i++) {
    const src = sources[i % sources.length] ?? '';
    writeFileSync(join(testsDir, `t${String(i).padStart(3, '0')}-${src}`), readFileSync(join(flowsDir, 'tests', src)));
  }
  const started = performance.now();
  const report = runFlowTests(dir);
  const wallMs = performance.now() - started;
  if (report.kind !== 'run') throw new Error('the demo flows or tests did not load');
  const failed = report.results.filter((r) => r.failure).length;
  const turns = report.results.length;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'flowtests',
      tests: turns,
      failed,
      wall_ms: Math.round(wallMs),
      tests_ms: Math.round(report.ms),
      per_test_ms: Math.round((report.ms / turns) * 100) / 100,
      goal_ms: 2000,
      under_goal: wallMs < 2000,
    })}\n`,
  );
  if (failed > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
