/**
 * `npm run bench:webhook`: webhook throughput of Talkshop against a stock Bottender app, on the
 * same machine, with the same generator and the same signed payloads.
 *
 * Each target runs as a child process. All are started and warmed up (then their backlog
 * drains); then each is driven for a fixed time over keep-alive connections, split into rounds
 * interleaved A B C, C B A so noise on this shared 2-core machine does not land on one target.
 * Reported: acks/s and ack latency (p50/p99) from the generator, and end-to-end applied/s: the
 * events acknowledged in a window divided by the time from its first request until the last of
 * them is applied (Talkshop: committed by the worker, from /metrics
 * `talkshop_events_applied_total`; Bottender: the session written back to Redis after the action
 * ran), summed over the windows. The next window starts only once the previous target's events
 * are all applied, so no target's backlog runs during another's window. Targets:
 *   floor     node:http + one HMAC + one XADD (context: the least a durable webhook does)
 *   talkshop  `talkshop serve`, ROLE=all (webhook + worker in one process), Redis store
 *   talkshop_web  the same with ROLE=web: the ack path alone (diagnostic; not run by default)
 *   talkshop_counter  ROLE=all with the counter handler instead of the flows, i.e. the same
 *             work per event as the Bottender app (bench/talkshopCounter.ts; diagnostic)
 *   talkshop_split  one ROLE=web + one ROLE=worker process (diagnostic; not run by default)
 *   talkshop_ref  `talkshop` from another build, BENCH_REF_MAIN=<its dist/src/cli/main.js> (default:
 *             this build), with BENCH_REF_ENV's settings on top: a before/after pair measured in
 *             the same interleaved run (diagnostic)
 *   bottender bench/bottender-app: stock Bottender 1.5 Messenger app, Redis session store
 * Prints one JSON line on stdout; progress goes to stderr. Every Redis key it writes is under a
 * per-run prefix and deleted at the end.
 *
 * Knobs (environment): BENCH_DURATION_S (10, per target), BENCH_WARMUP_S (2),
 * BENCH_CONNECTIONS (64), BENCH_USERS (1000), BENCH_ROUNDS (4),
 * BENCH_TARGETS (floor,talkshop,bottender), REDIS_URL (redis://127.0.0.1:6379),
 * BENCH_FLOWS_DIR (the repo's flows/), BENCH_PROFILE_DIR (write a --cpu-prof profile of each
 * Talkshop ROLE=all/web process there; `npm run bench:profile -- <file>` summarises one as text),
 * BENCH_PROFILE_INTERVAL_US (the profile's sampling interval, default 200 µs; V8's own is 1 ms),
 * BENCH_TALKSHOP_ENV (a JSON object of extra settings for the Talkshop processes; diagnostic),
 * BENCH_CLUSTER=1 (the Talkshop targets run on a throwaway 3-master, 3-replica Redis Cluster,
 * bench/redisCluster.ts, instead of REDIS_URL; their Redis-side checks and Redis CPU are then left
 * out: e.g. BENCH_TARGETS=talkshop,talkshop_ref BENCH_REF_ENV='{"REDIS_WAIT_REPLICAS":"1"}').
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { spawnService } from '../tests/support/spawnService';
import { LoadGenerator, percentile, type PhaseResult } from './loadgen';
import type { PayloadSpec } from './payloads';
import { startRedisCluster } from './redisCluster';
import {
  deletePrefix,
  machineBusySeconds,
  openRedis,
  processCpuSeconds,
  readMatching,
  redisCpuSeconds,
  spawnReady,
  stopProcess,
  type Redis,
} from './processes';

const num = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ON_CLUSTER = process.env.BENCH_CLUSTER === '1';
/** The Redis the Talkshop targets use: REDIS_URL, or with BENCH_CLUSTER=1 a node of the cluster main() starts. */
let talkshopRedisUrl = REDIS_URL;
const DURATION_MS = num('BENCH_DURATION_S', 10) * 1000;
const WARMUP_MS = num('BENCH_WARMUP_S', 2) * 1000;
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const USERS = num('BENCH_USERS', 1000);
/** The measured time of each target is split into this many interleaved windows. */
const ROUNDS = Math.round(num('BENCH_ROUNDS', 4));
const TARGETS = (process.env.BENCH_TARGETS ?? 'floor,talkshop,bottender')
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** A finer sampling interval than V8's 1 ms: a 40 s run then has enough samples per function. */
const PROFILE_INTERVAL_US = Math.round(num('BENCH_PROFILE_INTERVAL_US', 200));
/** Extra settings for the Talkshop processes (e.g. '{"INBOX_PARTITIONS":"16"}'), to try a setting out. */
const TALKSHOP_ENV = z.record(z.string(), z.string()).parse(JSON.parse(process.env.BENCH_TALKSHOP_ENV ?? '{}'));
/** Extra settings for `talkshop_ref` only, over BENCH_TALKSHOP_ENV (e.g. another GRAPH_API_URL). */
const REF_ENV = z.record(z.string(), z.string()).parse(JSON.parse(process.env.BENCH_REF_ENV ?? '{}'));
/** Requests pre-built for the warm-up: more than any target acks per second here. */
const WARMUP_RATE_CAP = 50_000;
/** Upper bound of the measured pool (requests per second of the window); ~700 bytes each. */
const MEASURE_RATE_CAP = 60_000;
/** How long the applied count may take to catch up after the load stops. */
const DRAIN_TIMEOUT_MS = 90_000;

const RUN = randomUUID().slice(0, 8);
const PAGE_ID = 'bench-page';
const MESSENGER = {
  MESSENGER_PAGE_ID: PAGE_ID,
  MESSENGER_ACCESS_TOKEN: 'bench-access-token',
  MESSENGER_APP_ID: 'bench-app',
  MESSENGER_APP_SECRET: 'bench-app-secret',
  MESSENGER_VERIFY_TOKEN: 'bench-verify-token',
  // This bench measures ingress and apply, the work Bottender's handler also does; Talkshop's
  // sends (measured by bench:send) go to a port where nothing listens and simply wait in the outbox.
  GRAPH_API_URL: 'http://127.0.0.1:9',
};
const WEBHOOK_PATH = '/webhooks/messenger';
const REPO = resolve(__dirname, '..', '..');

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** A target started and ready for load. */
interface Running {
  readonly port: number;
  /** The target's processes (their CPU time is reported as `server`). */
  readonly pids: Array<number | undefined>;
  /** Events applied so far (monotonic), or undefined for a target without a worker. */
  readonly applied?: () => Promise<number>;
  /** Target-specific checks after the run (e.g. counts in Redis). */
  readonly verify?: (acked: number) => Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

interface Target {
  readonly name: string;
  /** Key prefixes to delete after the run. */
  readonly prefixes: string[];
  start(): Promise<Running>;
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** Sum of a Prometheus counter over all its label sets. */
function sumCounter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The CLI `talkshop_ref` runs: another build's (before/after pairs in one run), or this one. */
const refMain = (): string => resolve(process.env.BENCH_REF_MAIN ?? join(REPO, 'dist', 'src', 'cli', 'main.js'));

const profileFlags = (dir: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`];

/**
 * `talkshop serve` as deployed: ROLE=all runs the webhook and the worker (with the flows in
 * FLOWS_DIR, the repo's ./flows unless BENCH_FLOWS_DIR says otherwise) in one process.
 * ROLE=web (target `talkshop_web`, not run by default) measures the ack path alone.
 */
function talkshop(redis: Redis, role: 'all' | 'web', variant?: 'counter' | 'ref'): Target {
  const counter = variant === 'counter';
  const prefix = `bench-ts${role === 'web' ? 'w' : counter ? 'c' : variant === 'ref' ? 'r' : ''}-${RUN}`;
  const name = role === 'web' ? 'talkshop_web' : variant ? `talkshop_${variant}` : 'talkshop';
  const main = counter
    ? join(__dirname, 'talkshopCounter.js')
    : variant === 'ref'
      ? refMain()
      : join(REPO, 'dist', 'src', 'cli', 'main.js');
  const args = counter ? [main] : [main, 'serve'];
  return {
    name,
    prefixes: [prefix],
    async start() {
      const env: Record<string, string | undefined> = {
        ...MESSENGER,
        REDIS_URL: talkshopRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        ROLE: role,
        FLOWS_DIR: process.env.BENCH_FLOWS_DIR ?? join(REPO, 'flows'),
        // info: "talkshop ready" is logged at info; nothing on the request path logs above debug.
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        ...TALKSHOP_ENV,
        ...(variant === 'ref' ? REF_ENV : {}),
      };
      // --cpu-prof is not allowed in NODE_OPTIONS, so a profiled run spawns `serve` itself.
      const svc =
        PROFILE_DIR || variant
          ? await spawnReady([...(PROFILE_DIR ? profileFlags(PROFILE_DIR) : []), ...args], {
              env,
              readyMsg: 'talkshop ready',
            })
          : await spawnService(env, 20_000);
      const metrics = `http://127.0.0.1:${svc.port}/metrics`;
      return {
        port: svc.port,
        pids: [svc.proc.pid],
        ...(role === 'all' ? { applied: async () => sumCounter(await getText(metrics), 'talkshop_events_applied_total') } : {}),
        async verify(acked) {
          const text = await getText(metrics);
          const checks: Record<string, unknown> = {
            acked_total: acked,
            events_received: sumCounter(text, 'talkshop_webhook_events_received_total'),
            events_deduped: sumCounter(text, 'talkshop_webhook_events_deduped_total'),
            requests_rejected: sumCounter(text, 'talkshop_webhook_requests_rejected_total'),
          };
          if (role === 'web') return checks;
          if (ON_CLUSTER) return { ...checks, events_applied: sumCounter(text, 'talkshop_events_applied_total'), cluster: true };
          const states = await readMatching(redis, `${prefix}:*:state:*`, (keys) =>
            Promise.all(keys.map((k) => redis.hGet(k, 's'))),
          );
          // The handler's state shape is Talkshop's business; `inbound` counts the user's events.
          const inbound = states.map((s) => (JSON.parse(String(s)) as { inbound?: unknown }).inbound);
          const stateSum = inbound.every((n) => typeof n === 'number') ? (inbound as number[]).reduce((a, b) => a + b, 0) : null;
          const outbox = await readMatching(redis, `${prefix}:*:outbox`, (keys) => Promise.all(keys.map((k) => redis.xLen(k))));
          return {
            ...checks,
            events_applied: sumCounter(text, 'talkshop_events_applied_total'),
            commit_refused: sumCounter(text, 'talkshop_commit_refused_total'),
            handler_errors: sumCounter(text, 'talkshop_handler_errors_total'),
            users_with_state: states.length,
            state_count_sum: stateSum,
            lost_updates: stateSum === null ? null : acked - stateSum,
            outbox_effects: (outbox as number[]).reduce((a, b) => a + b, 0),
            // The sends wait in the outbox (nothing listens at GRAPH_API_URL): this is how often
            // the sender tried anyway, each try a refused connection and an error to handle.
            sender_graph_errors: sumCounter(text, 'talkshop_graph_errors_total'),
            sender_users_postponed: sumCounter(text, 'talkshop_sender_users_postponed_total'),
          };
        },
        stop: () => stopProcess(svc.proc, svc.exited()),
      };
    },
  };
}

/**
 * Diagnostic (not run by default): the same Talkshop as two processes on this 2-core machine,
 * one ROLE=web and one ROLE=worker, as the README's scale-out section runs it.
 */
function talkshopSplit(redis: Redis): Target {
  const prefix = `bench-tss-${RUN}`;
  return {
    name: 'talkshop_split',
    prefixes: [prefix],
    async start() {
      const env = (role: string): Record<string, string | undefined> => ({
        ...MESSENGER,
        REDIS_URL: talkshopRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        ROLE: role,
        FLOWS_DIR: process.env.BENCH_FLOWS_DIR ?? join(REPO, 'flows'),
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        NODE_ENV: 'production',
        ...TALKSHOP_ENV,
      });
      const worker = await spawnService(env('worker'), 20_000);
      const web = await spawnService(env('web'), 20_000).catch(async (err: unknown) => {
        await stopProcess(worker.proc, worker.exited());
        throw err;
      });
      const metrics = (port: number) => `http://127.0.0.1:${port}/metrics`;
      return {
        port: web.port,
        pids: [web.proc.pid, worker.proc.pid],
        applied: async () => sumCounter(await getText(metrics(worker.port)), 'talkshop_events_applied_total'),
        async verify(acked) {
          const webText = await getText(metrics(web.port));
          const workerText = await getText(metrics(worker.port));
          return {
            acked_total: acked,
            events_received: sumCounter(webText, 'talkshop_webhook_events_received_total'),
            events_applied: sumCounter(workerText, 'talkshop_events_applied_total'),
            commit_refused: sumCounter(workerText, 'talkshop_commit_refused_total'),
            users_with_state: (await readMatching(redis, `${prefix}:*:state:*`, async (keys) => keys)).length,
          };
        },
        async stop() {
          await stopProcess(web.proc, web.exited());
          await stopProcess(worker.proc, worker.exited());
        },
      };
    },
  };
}

function bottender(redis: Redis): Target {
  const prefix = `bench-btd-${RUN}`;
  return {
    name: 'bottender',
    prefixes: [prefix],
    async start() {
      const dir = join(REPO, 'bench', 'bottender-app');
      const p = await spawnReady([join(dir, 'server.js')], {
        cwd: dir,
        readyMsg: 'bottender ready',
        env: { ...MESSENGER, REDIS_URL, BENCH_BOTTENDER_PREFIX: prefix, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
      });
      const stats = async () =>
        JSON.parse(await getText(`http://127.0.0.1:${p.port}/__bench/stats`)) as {
          handled: number;
          written: number;
          writeErrors: number;
        };
      return {
        port: p.port,
        pids: [p.proc.pid],
        applied: async () => (await stats()).written,
        async verify(acked) {
          const s = await stats();
          const sessions = await readMatching(redis, `${prefix}:messenger:*`, (keys) => redis.mGet(keys));
          const sum = sessions.reduce<number>(
            (acc, v) => acc + ((JSON.parse(String(v)) as { _state?: { count?: number } })._state?.count ?? 0),
            0,
          );
          return {
            acked_total: acked,
            handler_runs: s.handled,
            session_writes: s.written,
            session_write_errors: s.writeErrors,
            users_with_state: sessions.length,
            state_count_sum: sum,
            lost_updates: acked - sum,
          };
        },
        stop: () => stopProcess(p.proc, p.exited()),
      };
    },
  };
}

function floor(redis: Redis): Target {
  const prefix = `bench-floor-${RUN}`;
  return {
    name: 'floor',
    prefixes: [prefix],
    async start() {
      const p = await spawnReady([join(__dirname, 'floorServer.js')], {
        readyMsg: 'floor ready',
        env: {
          REDIS_URL,
          BENCH_FLOOR_PREFIX: prefix,
          MESSENGER_APP_SECRET: MESSENGER.MESSENGER_APP_SECRET,
          PORT: '0',
          HOST: '127.0.0.1',
        },
      });
      return {
        port: p.port,
        pids: [p.proc.pid],
        async verify(acked) {
          return { acked_total: acked, stream_len: await redis.xLen(`${prefix}:inbox`) };
        },
        stop: () => stopProcess(p.proc, p.exited()),
      };
    },
  };
}

/** Polls `applied` until it reaches `target`; returns when (epoch ms) it did, or undefined on timeout. */
async function waitApplied(
  applied: () => Promise<number>,
  target: number,
  timeoutMs: number,
): Promise<{ at?: number; value: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await applied();
    const at = performance.timeOrigin + performance.now();
    if (value >= target) return { at, value };
    if (Date.now() > deadline) return { value };
    await sleep(20);
  }
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;

const serverCpu = (r: Running): number => r.pids.reduce<number>((sum, pid) => sum + processCpuSeconds(pid), 0);

/** A started target and what its measured windows added up to. */
interface Session {
  readonly target: Target;
  readonly running: Running;
  readonly spec: PayloadSpec;
  nextSeq: number;
  /** Acked per second in the last phase; sizes the next pre-built pool. */
  lastRate: number;
  warmAcked: number;
  appliedBase: number;
  readonly windows: PhaseResult[];
  /** Sum over windows of (first request → last of its events applied), in ms. */
  appliedMs: number;
  appliedLagMs: number[];
  appliedComplete: boolean;
  readonly cpu: { server: number; redis: number; generator: number; machine: number };
  /** Acks per second of each measured window. */
  readonly windowRates: number[];
}

/** Pre-builds the requests of a phase of `durationMs`: enough for 3× the last rate, capped. */
async function prepare(s: Session, gen: LoadGenerator, durationMs: number, rateCap: number): Promise<void> {
  // A freshly started process runs well below its steady rate until the JIT has warmed up, so
  // the pool is generous; past it the generator builds requests on the fly (and reports it).
  const count = Math.ceil(Math.min(s.lastRate * 3, rateCap) * (durationMs / 1000)) + 5000;
  await gen.build(s.spec, s.nextSeq, count);
  s.nextSeq += count;
}

/** Runs one phase with the pool built by prepare(). */
async function phase(s: Session, gen: LoadGenerator, durationMs: number): Promise<PhaseResult> {
  const result = await gen.run({ port: s.running.port, connections: CONNECTIONS, durationMs });
  if (result.builtLive > 0)
    log(`${s.target.name}: WARNING the pre-built pool ran out; ${result.builtLive} requests were built during the run`);
  if (result.ok > 0) s.lastRate = result.ok / (result.elapsedMs / 1000);
  return result;
}

async function start(target: Target, gen: LoadGenerator): Promise<Session> {
  log(`${target.name}: starting`);
  const running = await target.start();
  const spec: PayloadSpec = {
    path: WEBHOOK_PATH,
    pageId: PAGE_ID,
    appSecret: MESSENGER.MESSENGER_APP_SECRET,
    users: USERS,
    runId: `${RUN}-${target.name}`,
  };
  const s: Session = {
    target,
    running,
    spec,
    nextSeq: 0,
    lastRate: WARMUP_RATE_CAP / 3,
    warmAcked: 0,
    appliedBase: 0,
    windows: [],
    appliedMs: 0,
    appliedLagMs: [],
    appliedComplete: true,
    cpu: { server: 0, redis: 0, generator: 0, machine: 0 },
    windowRates: [],
  };
  try {
    await prepare(s, gen, WARMUP_MS, WARMUP_RATE_CAP);
    const warm = await phase(s, gen, WARMUP_MS);
    if (warm.ok === 0)
      throw new Error(
        `${target.name} accepted none of ${warm.requests} warm-up requests: ${JSON.stringify(warm.statuses)} ${warm.sampleError ?? ''}`,
      );
    log(
      `${target.name}: warm-up ${warm.ok}/${warm.requests} ok (${Math.round(s.lastRate)}/s), statuses ${JSON.stringify(warm.statuses)}`,
    );
    s.warmAcked = warm.ok;
    if (running.applied) {
      const caught = await waitApplied(running.applied, warm.ok, DRAIN_TIMEOUT_MS);
      if (caught.at === undefined)
        throw new Error(`${target.name}: warm-up events not applied in time (${caught.value}/${warm.ok})`);
      s.appliedBase = caught.value;
    }
    return s;
  } catch (err) {
    await stop(s);
    throw err;
  }
}

/** One measured window: load for `durationMs`, then wait until its acked events are applied. */
async function measure(s: Session, gen: LoadGenerator, redis: Redis, durationMs: number): Promise<void> {
  const { name } = s.target;
  await prepare(s, gen, durationMs, MEASURE_RATE_CAP);
  const cpu0 = {
    server: serverCpu(s.running),
    redis: await redisCpuSeconds(redis),
    bench: process.cpuUsage(),
    machine: machineBusySeconds(),
  };
  const m = await phase(s, gen, durationMs);
  s.cpu.machine += machineBusySeconds() - cpu0.machine;
  s.cpu.server += serverCpu(s.running) - cpu0.server;
  s.cpu.redis += (await redisCpuSeconds(redis)) - cpu0.redis;
  const bench = process.cpuUsage(cpu0.bench);
  s.cpu.generator += (bench.user + bench.system) / 1e6;
  s.windows.push(m);
  s.windowRates.push(Math.round(m.ok / (m.elapsedMs / 1000)));
  let applied = '';
  if (s.running.applied && s.appliedComplete) {
    // Waiting here also keeps one target's backlog from running during the next one's window.
    const done = await waitApplied(s.running.applied, s.appliedBase + m.ok, DRAIN_TIMEOUT_MS);
    if (done.at === undefined) {
      s.appliedComplete = false;
      log(`${name}: WARNING only ${done.value - s.appliedBase}/${m.ok} events applied within ${DRAIN_TIMEOUT_MS} ms`);
    } else {
      s.appliedMs += done.at - m.startedAt;
      s.appliedLagMs.push(Math.round(done.at - m.endedAt));
      applied = `; all applied ${Math.round(done.at - m.endedAt)} ms after the last ack`;
    }
    s.appliedBase = done.value;
  }
  log(
    `${name}: ${m.ok}/${m.requests} ok in ${m.elapsedMs} ms (${Math.round(s.lastRate)}/s), p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms, ` +
      `statuses ${JSON.stringify(m.statuses)}${applied}; per second: ${Array.from(m.perSecond, (n) => n ?? 0).join(' ')}`,
  );
}

async function stop(s: Session): Promise<void> {
  await s.running.stop().catch((err: unknown) => log(`${s.target.name}: stop failed: ${String(err)}`));
}

async function report(s: Session): Promise<Record<string, unknown>> {
  const sum = (f: (w: PhaseResult) => number) => s.windows.reduce((acc, w) => acc + f(w), 0);
  const requests = sum((w) => w.requests);
  const acks = sum((w) => w.ok);
  const seconds = sum((w) => w.elapsedMs) / 1000;
  const latencies = new Float64Array(requests);
  let at = 0;
  for (const w of s.windows) {
    latencies.set(w.latencies, at);
    at += w.latencies.length;
  }
  latencies.sort();
  const checks = s.running.verify ? await s.running.verify(s.warmAcked + acks) : {};
  log(`${s.target.name}: checks ${JSON.stringify(checks)}`);
  const applied = s.running.applied && s.appliedComplete;
  return {
    requests,
    acks,
    acks_per_s: r1(acks / seconds),
    ack_p50_ms: r2(percentile(latencies, 50)),
    ack_p99_ms: r2(percentile(latencies, 99)),
    ack_max_ms: r2(percentile(latencies, 100)),
    non_200: requests - acks,
    errors: sum((w) => w.errors),
    applied_per_s: applied ? r1(acks / (s.appliedMs / 1000)) : null,
    applied_lag_ms: applied ? Math.max(...s.appliedLagMs) : null,
    acks_per_s_windows: s.windowRates,
    // Of 200% (2 cores). `other`: everything else on the machine (other people's jobs, kernel).
    cpu_pct: {
      server: r1((s.cpu.server / seconds) * 100),
      redis: r1((s.cpu.redis / seconds) * 100),
      generator: r1((s.cpu.generator / seconds) * 100),
      other: r1(((s.cpu.machine - s.cpu.server - s.cpu.redis - s.cpu.generator) / seconds) * 100),
    },
    // CPU time of the target's processes per acknowledged event: on this shared machine it varies
    // far less than acks/s, which also depend on how much CPU other jobs leave over.
    server_cpu_us_per_ack: acks > 0 ? Math.round((s.cpu.server / acks) * 1e6) : null,
    checks,
  };
}

async function main(): Promise<void> {
  const redis = await openRedis(REDIS_URL);
  const cluster = ON_CLUSTER ? await startRedisCluster() : undefined;
  if (cluster) {
    talkshopRedisUrl = cluster.url;
    log(`talkshop targets on the Redis Cluster ${cluster.nodeList}`);
  }
  const gen = new LoadGenerator();
  const factories: Record<string, (r: Redis) => Target> = {
    floor,
    talkshop: (r) => talkshop(r, 'all'),
    talkshop_web: (r) => talkshop(r, 'web'),
    talkshop_counter: (r) => talkshop(r, 'all', 'counter'),
    talkshop_ref: (r) => talkshop(r, 'all', 'ref'),
    talkshop_split: talkshopSplit,
    bottender,
  };
  const targets = TARGETS.map((name) => {
    const make = factories[name];
    if (!make) throw new Error(`unknown target ${name} (expected ${Object.keys(factories).join(', ')})`);
    return make(redis);
  });
  const sessions: Session[] = [];
  const results: Record<string, Record<string, unknown>> = {};
  // Other jobs on the machine move every figure here: the load average before and after says how much.
  const loadBefore = loadavg()[0] ?? 0;
  try {
    for (const target of targets) sessions.push(await start(target, gen));
    // The measured time is split into rounds run in A B C, C B A… order, so a slow patch of the
    // shared machine does not land on one target only.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sessions : [...sessions].reverse();
      for (const s of order) await measure(s, gen, redis, DURATION_MS / ROUNDS);
    }
    for (const s of sessions) results[s.target.name] = await report(s);
  } finally {
    for (const s of sessions) await stop(s);
    await gen.close();
    for (const t of targets)
      for (const prefix of t.prefixes) log(`${t.name}: deleted ${await deletePrefix(redis, prefix)} keys under ${prefix}:`);
    await redis.quit().catch(() => undefined);
    await cluster?.stop();
  }
  const rate = (name: string, field: string) => (results[name]?.[field] as number | null | undefined) ?? null;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? r2(a / b) : null);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'webhook',
      connections: CONNECTIONS,
      duration_s: DURATION_MS / 1000,
      rounds: ROUNDS,
      warmup_s: WARMUP_MS / 1000,
      users: USERS,
      ...(cluster ? { talkshop_on: 'redis-cluster-3x2' } : {}),
      ...results,
      ratio_acks: ratio(rate('talkshop', 'acks_per_s'), rate('bottender', 'acks_per_s')),
      ratio_applied: ratio(rate('talkshop', 'applied_per_s'), rate('bottender', 'applied_per_s')),
      ...(results.talkshop_ref
        ? { ratio_acks_vs_ref: ratio(rate('talkshop', 'acks_per_s'), rate('talkshop_ref', 'acks_per_s')) }
        : {}),
      // Bottender's CPU per event over Talkshop's: how many events Talkshop handles for each of Bottender's on the same CPU.
      ratio_cpu_per_ack: ratio(rate('bottender', 'server_cpu_us_per_ack'), rate('talkshop', 'server_cpu_us_per_ack')),
      floor_ratio_acks: ratio(rate('floor', 'acks_per_s'), rate('bottender', 'acks_per_s')),
      node: process.version,
      cpus: cpus().length,
      load_avg_1m: [r1(loadBefore), r1(loadavg()[0] ?? 0)],
    })}\n`,
  );
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
