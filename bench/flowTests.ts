import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFlowTests } from '../src/flows/runFlowTests';

/**
 * npm run bench:flowtests: 200 conversation tests (the shop demo's tests, copied round-robin) run
 * by `talkshop flows test`'s runner, loading included. Prints one JSON line: the wall time of the
 * whole run (goal < 2 s), the CPU time it took (on a loaded machine wall time is mostly waiting for
 * a core), the time of the tests alone and per test, the load average and the cores.
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
  const cpu = process.cpuUsage();
  const report = runFlowTests(dir);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (report.kind !== 'run') throw new Error('the demo flows or tests did not load');
  const failed = report.results.filter((r) => r.failure).length;
  const turns = report.results.length;
  process.stdout.write(
    `${JSON.stringify({
      bench: 'flowtests',
      tests: turns,
      failed,
      wall_ms: Math.round(wallMs),
      cpu_ms: Math.round((used.user + used.system) / 1000),
      tests_ms: Math.round(report.ms),
      per_test_ms: Math.round((report.ms / turns) * 100) / 100,
      goal_ms: 2000,
      under_goal: wallMs < 2000,
      load_1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      cores: availableParallelism(),
    })}\n`,
  );
  if (failed > 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
