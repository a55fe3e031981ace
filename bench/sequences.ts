/**
 * Sequence benchmark (#11): BENCH_USERS (100,000) subscribers whose drip-sequence step falls due
 * at the same moment. How fast do the steps go out, how late against their due time, and what
 * share of that is the timer pump moving the timers into the inboxes?
 *
 * The subscribers are seeded through the store ports (tests/support/seedSequence.ts: each state
 * with consent to the topic, an open window and the running sequence with its timer id, plus the
 * timer armTimer would have set), all due at one moment a little after the service is up. The
 * service runs as a child process (ROLE=all, Redis, a fresh key prefix, a temporary FLOWS_DIR with
 * a flow and the sequence: promotional s0 due now, s1 4 h later), SEND_RATE_PER_SEC and SEND_BURST
 * at their maxima, against the fake Graph API in this process (0 ms), which counts every call as
 * it arrives. Phases:
 *
 * - burst: steps per second (from the due time to the last send, and the middle 80%), the lag from
 *   due time to send (arrival at the fake − dueAt) p50/p99/max, duplicates (PSIDs that got the step
 *   twice), how long after the due time every timer had left the timer set for the inboxes, every
 *   step was decided (targeted) and settled, peak RSS of the service and of this process (the fake);
 * - crash (BENCH_CRASH=1): the same with a kill -9 of the service after BENCH_CRASH_AFTER sends
 *   and a new process on the same prefix (LEASE_TTL_MS 2000 on both): duplicates against the
 *   in-flight bound (4 users × (partitions + leases the new process lost itself)).
 *
 * Prints one JSON line on stdout, progress on stderr, asserts nothing. Knobs: BENCH_USERS (100000),
 * BENCH_PARTITIONS (64), BENCH_DUE_IN_MS (how far after seeding starts the steps fall due; default
 * 15 s + 0.4 ms per user, enough to seed and start on a 2-core machine), BENCH_CRASH,
 * BENCH_CRASH_AFTER (BENCH_USERS/5), BENCH_PHASES (burst), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { stepStatId } from '../src/engine/sequenceEvents';
import { DEFAULT_USERS_IN_FLIGHT } from '../src/runtime/outboxSender';
import { keysFor } from '../src/store/keys';
import type { BroadcastStore } from '../src/store/ports';
import { progressOf } from '../tests/support/adminBroadcast';
import { SEQ_ID, SEQ_STEP, seedSequence, writeSequenceFlows } from '../tests/support/seedSequence';
import { spawnService, type SpawnedService } from '../tests/support/spawnService';
import { TEST_PAGE, testEnv } from '../tests/support/testEnv';
import { percentile } from './loadgen';
import { processCpuSeconds, redisCpuSeconds, type Redis } from './processes';
import { closeServices, openSeededStore, runBench, type ServicePhase } from './serviceRun';
import { SendCounter, peakRssMb } from './sendCounter';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 64);
const DUE_IN_MS = Number(process.env.BENCH_DUE_IN_MS ?? 15_000 + Math.round(USERS * 0.4));
const CRASH_AFTER = Number(process.env.BENCH_CRASH_AFTER ?? Math.round(USERS / 5));
const PHASES = (process.env.BENCH_PHASES ?? 'burst').split(',').map((p) => p.trim());
if (process.env.BENCH_CRASH === '1' && !PHASES.includes('crash')) PHASES.push('crash');
const SETTLE_TIMEOUT_MS = 30 * 60_000;
const TEXT = 'Tip 1, due for everyone at once';

const log = (msg: string) => process.stderr.write(`[bench:sequences] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
const round1 = (n: number) => Math.round(n * 10) / 10;
const partitions = Array.from({ length: PARTITIONS }, (_, i) => i);

interface Phase extends ServicePhase {
  readonly env: Record<string, string | undefined>;
  readonly dueAt: number;
  readonly seedPerSec: number;
}

/** A fresh prefix with every subscriber's step due at one moment, DUE_IN_MS after seeding starts. */
async function openPhase(redis: Redis, name: string, fake: FakeGraphApi, extraEnv: Record<string, string>): Promise<Phase> {
  const prefix = `bench-seq-${name}-${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  const dueAt = now + DUE_IN_MS;
  const psids = Array.from({ length: USERS }, (_, i) => `sq-${name}-${i}`);
  log(`${name}: seeding ${USERS} subscribers (states and timers) under ${prefix}, due in ${DUE_IN_MS} ms`);
  const {
    store,
    seeded: { ms },
  } = await openSeededStore(REDIS_URL, redis, prefix, (store) =>
    seedSequence({ store, pageId: TEST_PAGE, partitions: PARTITIONS, psids, now, dueAt }),
  );
  const seedPerSec = Math.round(USERS / (ms / 1000));
  log(`${name}: seeded in ${ms} ms (${seedPerSec}/s)`);
  const env = testEnv({
    ROLE: 'all',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    INBOX_PARTITIONS: String(PARTITIONS),
    GRAPH_API_URL: fake.url,
    FLOWS_DIR: writeSequenceFlows(TEXT),
    LOG_LEVEL: 'warn',
    SEND_RATE_PER_SEC: '10000',
    SEND_BURST: '1000',
    ...extraEnv,
  });
  return { prefix, store, env, procs: [], dueAt, seedPerSec, closing: false };
}

async function spawn(p: Phase): Promise<SpawnedService> {
  const s = await spawnService(p.env);
  p.procs.push(s);
  s.proc.once('exit', (code, signal) => {
    if (!p.closing) log(`process ${s.proc.pid} exited (code ${code}, signal ${signal})`);
  });
  return s;
}

async function closePhase(p: Phase, redis: Redis): Promise<void> {
  await closeServices(p, redis);
  if (p.env.FLOWS_DIR) rmSync(p.env.FLOWS_DIR, { recursive: true, force: true });
}

/** Timers of the phase still in the timer sets at or before the due time (not yet moved into an inbox). */
async function timersLeft(redis: Redis, p: Phase): Promise<number> {
  const keys = keysFor(p.prefix);
  const counts = await Promise.all(partitions.map((i) => redis.zCount(keys.timers(i), '-inf', p.dueAt)));
  return counts.reduce((a, n) => a + n, 0);
}

/**
 * Watches the burst from its due time until every step is settled: when the timer sets emptied
 * (the pump's share), when every step was decided (the lanes), the counters at the end.
 */
async function settle(p: Phase, redis: Redis) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const id = stepStatId(SEQ_ID, SEQ_STEP);
  let timersMovedAt: number | undefined;
  let decidedAt: number | undefined;
  let lastLog = Date.now();
  for (;;) {
    if (timersMovedAt === undefined && Date.now() >= p.dueAt && (await timersLeft(redis, p)) === 0) timersMovedAt = Date.now();
    const progress = progressOf(await (p.store.broadcasts as BroadcastStore).stats(id, partitions));
    if (decidedAt === undefined && progress.targeted >= USERS) decidedAt = Date.now();
    if (progress.settled(USERS) && timersMovedAt !== undefined) return { progress, timersMovedAt, decidedAt: decidedAt ?? 0 };
    if (p.procs.every((s) => s.proc.exitCode !== null || s.proc.signalCode !== null))
      throw new Error(`every service process exited before the steps settled: ${JSON.stringify(progress)}`);
    if (Date.now() > deadline) throw new Error(`steps not settled: ${JSON.stringify(progress)}`);
    if (Date.now() - lastLog > 5000) {
      log(`  targeted ${progress.targeted}, sent ${progress.sent}, timers moved: ${timersMovedAt !== undefined}`);
      lastLog = Date.now();
    }
    await sleep(100);
  }
}

/** Lag from due time to arrival at the fake, per send, in ms: p50, p99, max. */
function lagOf(counter: SendCounter, dueAt: number) {
  const lags = Float64Array.from(counter.times, (t) => t - dueAt).sort();
  return {
    p50: Math.round(percentile(lags, 50)),
    p99: Math.round(percentile(lags, 99)),
    max: Math.round(lags[lags.length - 1] ?? 0),
  };
}

async function burst(fake: FakeGraphApi, redis: Redis) {
  const p = await openPhase(redis, 'burst', fake, {});
  try {
    const counter = new SendCounter(fake, TEXT);
    const service = await spawn(p);
    const readyBeforeDueMs = p.dueAt - Date.now();
    if (readyBeforeDueMs < 0)
      log(`burst: the service was ready ${-readyBeforeDueMs} ms after the due time (raise BENCH_DUE_IN_MS)`);
    const redisMb = mb(Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0));
    log(`burst: service ready ${readyBeforeDueMs} ms before the due time; Redis holds ${redisMb} MB in all`);
    let fakePeak = process.memoryUsage().rss;
    const sampler = setInterval(() => (fakePeak = Math.max(fakePeak, process.memoryUsage().rss)), 250);
    const cpuBefore = { service: processCpuSeconds(service.proc.pid), redis: await redisCpuSeconds(redis) };
    const { progress, timersMovedAt, decidedAt } = await settle(p, redis);
    clearInterval(sampler);
    counter.close();
    const seconds = (counter.lastAt - p.dueAt) / 1000;
    const result = {
      stepsPerSec: Math.round(counter.total / seconds),
      steadyPerSec: Math.round(counter.steadyPerSec),
      lagMs: lagOf(counter, p.dueAt),
      // From the due time: every timer out of the timer sets (the pump), every step decided (the lanes), the last send.
      timersMovedMs: timersMovedAt - p.dueAt,
      allDecidedMs: decidedAt - p.dueAt,
      lastSendMs: counter.lastAt - p.dueAt,
      sent: counter.perUser.size,
      duplicates: counter.duplicates,
      counters: { targeted: progress.targeted, queued: progress.queued, sent: progress.sent, failed: progress.failed },
      cpuSeconds: {
        service: round1(processCpuSeconds(service.proc.pid) - cpuBefore.service),
        redis: round1((await redisCpuSeconds(redis)) - cpuBefore.redis),
      },
      rssMb: { service: peakRssMb(service.proc.pid), fake: mb(fakePeak) },
      redisUsedMbAfterSeeding: redisMb,
      readyBeforeDueMs,
    };
    log(`burst: ${JSON.stringify(result)}`);
    return { seedPerSec: p.seedPerSec, result };
  } finally {
    await closePhase(p, redis);
  }
}

const leasesLost = (procs: readonly SpawnedService[]) =>
  procs.reduce((n, s) => n + s.logs.filter((l) => l.msg === 'lease lost; another worker owns this partition now').length, 0);

async function crash(fake: FakeGraphApi, redis: Redis) {
  const p = await openPhase(redis, 'crash', fake, { LEASE_TTL_MS: '2000' });
  try {
    let killedAt: number | undefined;
    const counter = new SendCounter(fake, TEXT, (total) => {
      const victim = p.procs[0];
      if (killedAt === undefined && victim && total >= CRASH_AFTER) {
        victim.proc.kill('SIGKILL');
        killedAt = total;
      }
    });
    const first = await spawn(p);
    while (killedAt === undefined) await sleep(20);
    await first.exited();
    log(`crash: killed the service after ${killedAt} sends; starting another`);
    p.procs.splice(0, 1);
    await spawn(p);
    const { progress } = await settle(p, redis);
    counter.close();
    const result = {
      users: USERS,
      killedAfterSends: killedAt,
      reached: counter.perUser.size,
      duplicates: counter.duplicates,
      // Each lease the new process loses itself (the short TTL on a loaded machine) re-sends that partition's sends in flight too.
      leasesLost: leasesLost(p.procs),
      inFlightBound: (PARTITIONS + leasesLost(p.procs)) * DEFAULT_USERS_IN_FLIGHT,
      lastSendMs: counter.lastAt - p.dueAt,
      counters: { targeted: progress.targeted, queued: progress.queued, sent: progress.sent, failed: progress.failed },
    };
    log(`crash: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await closePhase(p, redis);
  }
}

const out: Record<string, unknown> = { bench: 'sequences', users: USERS, partitions: PARTITIONS };
runBench(REDIS_URL, out, async (fake, redis) => {
  if (PHASES.includes('burst')) {
    const { seedPerSec, result } = await burst(fake, redis);
    out.seedPerSec = seedPerSec;
    out.burst = result;
  }
  if (PHASES.includes('crash')) out.crash = await crash(fake, redis);
});
