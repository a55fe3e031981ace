/**
 * `npm run bench:startup`: how long a production start takes on an already built tree, from the
 * spawn of the start command to the first `GET /readyz` 200 (issue #9: under 3 s).
 *
 * Targets, each run BENCH_STARTUP_RUNS times (default 5), interleaved run by run so a slow moment of
 * this shared machine does not land on one target:
 *   npm_start_memory   `npm start` (what the README documents), in-memory store (no REDIS_URL)
 *   npm_start_redis    `npm start` on Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379), a per-run key prefix
 *   node_memory, node_redis  `node dist/src/cli/main.js serve`, the README's command for many processes:
 *                      what `npm start` runs, without npm in front and without scripts/runBuilt.js's build check
 *   node_e             a bare `node -e ''` from spawn to exit: this machine's speed that day, to read the rest against
 * The service listens on PORT=0 and tells its port in its "talkshop ready" log line (as
 * tests/support/spawnService.ts learns it); /readyz is then asked until it answers 200, so the
 * figure is spawn → first 200. Each service is stopped with SIGTERM (its process group) and has
 * exited before the next run starts. The env is only what the service needs, so the figure does
 * not depend on the shell that runs the benchmark; DOTENV_CONFIG_PATH points at no file, so a
 * developer's .env (which may set REDIS_URL) does not leak into the memory runs.
 *
 * Prints one JSON line on stdout (ms: min/median/max per target, every run, and ready_log_ms, the
 * time to the ready line); progress goes to stderr. Every Redis key it writes is deleted at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { deletePrefix, openRedis } from './processes';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join('dist', 'src', 'cli', 'main.js');
const RUNS = Math.max(1, Math.round(Number(process.env.BENCH_STARTUP_RUNS ?? 5) || 5));
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench-startup-${randomUUID().slice(0, 8)}`;
const TIMEOUT_MS = 30_000;
const GOAL_MS = 3_000;
const log = (msg: string) => process.stderr.write(`[bench:startup] ${msg}\n`);

/** The npm that runs this benchmark (npm_execpath, set by `npm run`), else the one on PATH. */
const NPM: readonly string[] = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

const SERVICE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? ROOT,
  DOTENV_CONFIG_PATH: join(ROOT, 'no-such-dotenv-file'),
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info', // the ready line is logged at info
  MESSENGER_PAGE_ID: 'bench-page',
  MESSENGER_ACCESS_TOKEN: 'bench-access-token',
  MESSENGER_APP_ID: 'bench-app',
  MESSENGER_APP_SECRET: 'bench-app-secret',
  MESSENGER_VERIFY_TOKEN: 'bench-verify-token',
  GRAPH_API_URL: 'http://127.0.0.1:9', // nothing is sent during a start; never the real Meta
};

interface Target {
  readonly name: string;
  readonly command: readonly string[];
  readonly env?: Record<string, string>;
  /** A service (measured to /readyz 200) or a process measured to its exit. */
  readonly service: boolean;
}

const memory = SERVICE_ENV;
const redis = { ...SERVICE_ENV, REDIS_URL, REDIS_KEY_PREFIX: PREFIX };
const TARGETS: readonly Target[] = [
  { name: 'node_e', command: [process.execPath, '-e', ''], service: false },
  { name: 'npm_start_memory', command: [...NPM, 'start'], env: memory, service: true },
  { name: 'npm_start_redis', command: [...NPM, 'start'], env: redis, service: true },
  { name: 'node_memory', command: [process.execPath, CLI, 'serve'], env: memory, service: true },
  { name: 'node_redis', command: [process.execPath, CLI, 'serve'], env: redis, service: true },
];

function readyzStatus(port: number): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', () => resolveStatus(0));
    req.end();
  });
}

/** SIGTERM to the whole group (npm, its shell, the service), SIGKILL if it has not gone in 10 s. */
async function stopGroup(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const pid = proc.pid;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface Sample {
  readonly ms: number;
  readonly readyLogMs?: number;
}

async function measure(target: Target): Promise<Sample> {
  const [cmd, ...args] = target.command;
  const t0 = performance.now();
  // detached: its own process group, so the stop reaches the service behind npm and its shell too.
  const proc = spawn(cmd!, args, {
    cwd: ROOT,
    env: target.env ?? SERVICE_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  if (!target.service) {
    proc.stdout!.resume();
    const code = await exited;
    if (code !== 0) throw new Error(`${target.name} exited with ${code}\n${stderr}`);
    return { ms: performance.now() - t0 };
  }
  try {
    const ready = new Promise<{ port: number; at: number }>((resolveReady, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${target.name}: no ready line in ${TIMEOUT_MS} ms\n${stderr}`)),
        TIMEOUT_MS,
      );
      void exited.then((code) => reject(new Error(`${target.name} exited with ${code} before ready\n${stderr}`)));
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (!line.startsWith('{')) return; // npm's "> talkshop@… start" banner
        try {
          const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
          if (entry.msg !== 'talkshop ready') return;
          clearTimeout(timer);
          resolveReady({ port: Number(entry.port), at: performance.now() });
        } catch {
          // not a log line
        }
      });
    });
    const { port, at } = await ready;
    for (;;) {
      if ((await readyzStatus(port)) === 200) return { ms: performance.now() - t0, readyLogMs: at - t0 };
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`${target.name}: /readyz not 200 in ${TIMEOUT_MS} ms\n${stderr}`);
      await sleep(5);
    }
  } finally {
    await stopGroup(proc, exited);
  }
}

const round = (ms: number) => Math.round(ms);
function summary(samples: readonly Sample[]) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const out: Record<string, unknown> = {
    min_ms: round(sorted[0]!),
    median_ms: round(sorted[Math.floor(sorted.length / 2)]!),
    max_ms: round(sorted[sorted.length - 1]!),
    runs_ms: samples.map((s) => round(s.ms)),
  };
  if (samples[0]?.readyLogMs !== undefined) out.ready_log_ms = samples.map((s) => round(s.readyLogMs ?? 0));
  return out;
}

async function main(): Promise<void> {
  const store = await openRedis(REDIS_URL).catch((err: unknown) => {
    throw new Error(`Redis at ${REDIS_URL} does not answer (set BENCH_REDIS_URL): ${String(err)}`);
  });
  const samples = new Map<string, Sample[]>(TARGETS.map((t) => [t.name, []]));
  try {
    for (let run = 1; run <= RUNS; run++) {
      // Alternate the order, so no target always follows the same one.
      for (const target of run % 2 ? TARGETS : [...TARGETS].reverse()) {
        const sample = await measure(target);
        samples.get(target.name)!.push(sample);
        log(`run ${run}/${RUNS} ${target.name}: ${round(sample.ms)} ms`);
      }
    }
  } finally {
    await deletePrefix(store, PREFIX);
    await store.close();
  }
  const targets = Object.fromEntries(TARGETS.map((t) => [t.name, summary(samples.get(t.name)!)]));
  const worst = Math.max(...TARGETS.filter((t) => t.service).map((t) => Math.max(...samples.get(t.name)!.map((s) => s.ms))));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'startup',
      measure: 'ms from spawn to the first /readyz 200 (node_e: to exit)',
      runs: RUNS,
      goal_ms: GOAL_MS,
      all_under_goal: worst < GOAL_MS,
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
      targets,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:startup] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
