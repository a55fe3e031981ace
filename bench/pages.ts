/**
 * Two Pages benchmark (issue #18): rate-limit pressure on one Page must leave the other's reply p99
 * within 10% of its unloaded figure.
 *
 * One `talkshop serve` child process (ROLE=all, Redis, a fresh key prefix per phase, deleted after)
 * serves Page A (the environment's, the shipped shop flows) and Page B (PAGES_FILE, flows of its
 * own), each with its own token and its own fake Graph API in this process holding it to Meta's 300
 * Send API calls a second (613 past it), behind a proxy that routes each call by its bearer token
 * (bench/pagesProxy.ts). A's send bucket is set low in the pages file (BENCH_A_RATE, 20/s); B's is
 * at the default.
 *
 * - quiet: B only: BENCH_B_RATE texts a second (20) from BENCH_B_USERS customers (60: each writes
 *   every 3 s, under the per-customer reply limit), an open loop; each text gets one reply.
 * - pressure: the same B trickle, and BENCH_A_USERS (2,000) new users write "hello" to A at once:
 *   4,000 replies behind a 20/s bucket, so A's sender is backlogged for the whole window. The window
 *   opens once A has applied its events and B has answered every text sent meanwhile: it measures
 *   RATE pressure, not the CPU of taking A's burst in (B's replies before the window, during that
 *   intake, are reported apart: replyMsBeforeWindow).
 *
 * Each phase runs on a fresh service; B's trickle runs BENCH_WARMUP_SECONDS (30: a fresh process
 * answers slower while it warms up) before its window of BENCH_WINDOW_SECONDS (40). Phases are interleaved (BENCH_PHASES, default quiet,pressure,quiet,
 * pressure) so machine noise falls on both kinds. B's reply latency runs from its text's webhook POST
 * to the reply's arrival at B's fake.
 *
 * Prints one JSON line: B's p50/p99 per phase and pooled per kind, the ratio pressure/quiet of p99
 * (goal ≤ 1.10, reported, never asserted; also per quiet-then-pressure pair), A's messages delivered
 * a second and its backlog, 613 answers per Page (goal 0), Graph calls with the wrong token (must be
 * 0), the service's CPU seconds and share of one core per window, its event loop delay p99, the
 * Redis server's CPU, the load average, the service's warnings by Page. Progress on stderr.
 * Other knobs: BENCH_GRAPH_LATENCY_MS (20), BENCH_CONNECTIONS (64, A's posts), BENCH_PARTITIONS
 * (the service's default), REDIS_URL; BENCH_DEBUG_SECONDS=1 logs B's p50 by second of each phase.
 */
import { benchCommit } from './processes';
import { cpus } from 'node:os';
import type { PhaseKind } from './pagesPhase';
import { GOAL_P99_RATIO, PAGE_RATE, runPagesBench } from './pagesRun';

const env = process.env;
const num = (name: string, fallback: number) => Number(env[name] ?? fallback);

function phases(): PhaseKind[] {
  const list = (env.BENCH_PHASES ?? 'quiet,pressure,quiet,pressure').split(',').map((p) => p.trim());
  for (const p of list)
    if (p !== 'quiet' && p !== 'pressure') throw new Error(`BENCH_PHASES: unknown ${p} (known: quiet, pressure)`);
  return list as PhaseKind[];
}

async function main(): Promise<void> {
  const options = {
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    phases: phases(),
    windowMs: num('BENCH_WINDOW_SECONDS', 40) * 1000,
    warmupMs: num('BENCH_WARMUP_SECONDS', 30) * 1000,
    bRatePerSec: num('BENCH_B_RATE', 20),
    bUsers: num('BENCH_B_USERS', 60),
    aUsers: num('BENCH_A_USERS', 2000),
    aRatePerSec: num('BENCH_A_RATE', 20),
    connections: num('BENCH_CONNECTIONS', 64),
    partitions: env.BENCH_PARTITIONS,
    settleTimeoutMs: 120_000,
    log: (msg: string) => process.stderr.write(`[bench:pages] ${msg}\n`),
  };
  const graphLatencyMs = num('BENCH_GRAPH_LATENCY_MS', 20);
  const result = await runPagesBench(options, graphLatencyMs);
  const { log: _log, redisUrl: _redis, ...knobs } = options;
  const out = {
    bench: 'pages',
    commit: benchCommit(),
    cpus: cpus().length,
    ...knobs,
    graphLatencyMs,
    pageRate: PAGE_RATE,
    goalP99Ratio: GOAL_P99_RATIO,
    ...result,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
