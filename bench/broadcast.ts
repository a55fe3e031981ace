/**
 * Broadcast benchmark: how fast a broadcast reaches 100,000 subscribers, what it costs in memory,
 * how closely it keeps to a Page's rate limit while a live customer is served, and what a kill -9
 * mid-broadcast costs in duplicates.
 *
 * Each phase has its own key prefix on Redis and its own subscribers, seeded through the store
 * port (tests/support/seedSubscribers.ts: each state and audience card exactly as a worker commits
 * them), then the real service runs as child processes (shipped flows, the admin API) against the
 * fake Graph API, which runs in this process with no latency and counts every call as it arrives.
 * The broadcast (promotional, topic offers, audience consent.offers=yes) is created through
 * POST /admin/broadcasts. Phases, in one run so they compare on the same machine state:
 *
 * - unthrottled: BENCH_USERS subscribers, ROLE=all, SEND_RATE_PER_SEC and SEND_BURST at their
 *   maxima: messages/s from creation to the last send at the fake, distinct PSIDs, duplicates,
 *   peak RSS (VmHWM) of the service, this process (the fake) and Redis's memory;
 * - cluster: the same with BENCH_WORKERS (2) worker processes and one web process;
 * - limited: BENCH_LIMITED_USERS subscribers at SEND_RATE_PER_SEC=300 (Meta's Page limit) while a
 *   live customer (a state, no consent: not in the audience) says "menu" every BENCH_LIVE_EVERY_MS:
 *   the broadcast's send rate against the share live traffic leaves it (300/s − live sends/s),
 *   and the live reply latency (webhook POST → the reply's Send API call at the fake);
 * - crash (BENCH_CRASH=1): kill -9 of the service after BENCH_CRASH_AFTER sends, a new process on
 *   the same prefix (LEASE_TTL_MS 2000), duplicates at the fake.
 *
 * Prints one JSON line on stdout, progress on stderr, asserts nothing. Knobs: BENCH_USERS (100000),
 * BENCH_LIMITED_USERS (18000), BENCH_PARTITIONS (64), BENCH_WORKERS (2), BENCH_LIVE_EVERY_MS (500),
 * BENCH_PHASES (unthrottled,cluster,limited), BENCH_CRASH, BENCH_CRASH_AFTER (BENCH_USERS/5),
 * BENCH_SERVICE_NODE_OPTIONS (NODE_OPTIONS of the service processes), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { DEFAULT_USERS_IN_FLIGHT } from '../src/runtime/outboxSender';
import type { BroadcastStore } from '../src/store/ports';
import { MARKETER_TOKENS_ENV, createBroadcast, progressOf, promoDefinition } from '../tests/support/adminBroadcast';
import { seedSubscribers } from '../tests/support/seedSubscribers';
import { spawnCluster, spawnService, type SpawnedService } from '../tests/support/spawnService';
import { TEST_PAGE, testEnv } from '../tests/support/testEnv';
import { LiveCustomer, replyDelayBuckets } from './liveCustomer';
import { SendCounter, peakRssMb } from './sendCounter';
import { processCpuSeconds, redisCpuSeconds, type Redis } from './processes';
import { closeServices, openSeededStore, runBench, type ServicePhase } from './serviceRun';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const LIMITED_USERS = Number(process.env.BENCH_LIMITED_USERS ?? 18_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 64);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const LIVE_EVERY_MS = Number(process.env.BENCH_LIVE_EVERY_MS ?? 500);
const PAGE_RATE = 300;
const CRASH_AFTER = Number(process.env.BENCH_CRASH_AFTER ?? Math.round(USERS / 5));
const PHASES = (process.env.BENCH_PHASES ?? 'unthrottled,cluster,limited').split(',').map((p) => p.trim());
if (process.env.BENCH_CRASH === '1' && !PHASES.includes('crash')) PHASES.push('crash');
const FLOWS_DIR = join(__dirname, '..', '..', 'flows'); // dist/bench → the repo root
const SETTLE_TIMEOUT_MS = 30 * 60_000;

const log = (msg: string) => process.stderr.write(`[bench:broadcast] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
const round1 = (n: number) => Math.round(n * 10) / 10;

interface Phase extends ServicePhase {
  readonly env: Record<string, string | undefined>;
  readonly seedPerSec: number;
}

/** A fresh prefix with `users` subscribers seeded (and the extra users given, without consent). */
async function openPhase(
  redis: Redis,
  name: string,
  users: number,
  fake: FakeGraphApi,
  extraEnv: Record<string, string>,
  noConsent: string[] = [],
) {
  const prefix = `bench-bc-${name}-${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  const psids = Array.from({ length: users }, (_, i) => `bc-${name}-${i}`);
  log(`${name}: seeding ${users} subscribers under ${prefix}`);
  const { store, seeded } = await openSeededStore(REDIS_URL, redis, prefix, async (store) => {
    const result = await seedSubscribers({ store, pageId: TEST_PAGE, partitions: PARTITIONS, psids, now });
    if (noConsent.length > 0)
      await seedSubscribers({ store, pageId: TEST_PAGE, partitions: PARTITIONS, psids: noConsent, now, topic: null });
    return result;
  });
  const seedPerSec = Math.round(users / (seeded.ms / 1000));
  log(`${name}: seeded in ${seeded.ms} ms (${seedPerSec}/s)`);
  const env = testEnv({
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    INBOX_PARTITIONS: String(PARTITIONS),
    GRAPH_API_URL: fake.url,
    FLOWS_DIR,
    LOG_LEVEL: 'warn',
    ADMIN_TOKENS: MARKETER_TOKENS_ENV,
    ADMIN_PORT: '0',
    USER_REPLIES_PER_MINUTE: '0',
    SEND_RATE_PER_SEC: '10000',
    SEND_BURST: '1000',
    // E.g. --max-old-space-size=256: how much of the peak RSS is garbage the collector had no reason to free yet.
    ...(process.env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS } : {}),
    ...extraEnv,
  });
  const phase: Phase = { prefix, store, env, procs: [], seedPerSec, closing: false };
  return phase;
}

/** Starts a service process of the phase; an exit before the phase closes is logged with its last warnings. */
async function spawn(p: Phase, env: Record<string, string | undefined> = p.env): Promise<SpawnedService> {
  const s = await spawnService(env);
  watch(p, s);
  return s;
}

function watch(p: Phase, s: SpawnedService): void {
  p.procs.push(s);
  s.proc.once('exit', (code, signal) => {
    if (p.closing) return;
    const last = s.logs.filter((l) => Number(l.level) >= 40).slice(-3);
    log(`process ${s.proc.pid} exited (code ${code}, signal ${signal}); its last warnings: ${JSON.stringify(last)}`);
  });
}

/** Waits until every member's lane decided and every queued send finished; the counters then. */
async function settle(p: Phase, id: string, users: number) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const partitions = Array.from({ length: PARTITIONS }, (_, i) => i);
  let lastLog = Date.now();
  for (;;) {
    const progress = progressOf(await (p.store.broadcasts as BroadcastStore).stats(id, partitions));
    if (progress.settled(users)) return progress;
    if (p.procs.every((s) => s.proc.exitCode !== null || s.proc.signalCode !== null))
      throw new Error(`every service process exited before broadcast ${id} settled: ${JSON.stringify(progress)}`);
    if (Date.now() > deadline) throw new Error(`broadcast ${id} not settled: ${JSON.stringify(progress)}`);
    if (Date.now() - lastLog > 5000) {
      log(`  ${id}: targeted ${progress.targeted}, sent ${progress.sent}`);
      lastLog = Date.now();
    }
    await sleep(200);
  }
}

/** Sends `users` a broadcast on the phase's processes (`admin`: the one whose admin API creates it). */
async function broadcast(p: Phase, fake: FakeGraphApi, redis: Redis, admin: SpawnedService, users: number) {
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const text = `Offer ${id} for you`;
  const counter = new SendCounter(fake, text);
  let fakePeak = process.memoryUsage().rss;
  const sampler = setInterval(() => (fakePeak = Math.max(fakePeak, process.memoryUsage().rss)), 250);
  const cpu = async () => ({
    services: p.procs.reduce((a, s) => a + processCpuSeconds(s.proc.pid), 0),
    redis: await redisCpuSeconds(redis),
    bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  });
  const cpuBefore = await cpu();
  const createdAt = Date.now();
  await createBroadcast(admin, promoDefinition(id, text));
  const progress = await settle(p, id, users);
  clearInterval(sampler);
  counter.close();
  const cpuAfter = await cpu();
  const seconds = (counter.lastAt - createdAt) / 1000;
  return {
    id,
    counter,
    progress,
    figures: {
      msgPerSec: Math.round(counter.total / seconds),
      seconds: round1(seconds),
      sent: counter.perUser.size,
      duplicates: counter.duplicates,
      counters: { targeted: progress.targeted, sent: progress.sent, skipped: progress.skippedByLane + progress.skippedBySender },
      // Where the time went: CPU seconds each side spent on this broadcast (the machine has its cores shared with others).
      cpuSeconds: {
        services: round1(cpuAfter.services - cpuBefore.services),
        redis: round1(cpuAfter.redis - cpuBefore.redis),
        benchAndFake: round1(cpuAfter.bench - cpuBefore.bench),
      },
      rssMb: {
        ...Object.fromEntries(p.procs.map((s, i) => [p.procs.length === 1 ? 'service' : `process${i}`, peakRssMb(s.proc.pid)])),
        fake: mb(fakePeak),
      },
      warnings: warningsOf(p.procs),
    },
  };
}

/** The service processes' warnings and errors, counted by message (e.g. a lease lost mid-broadcast explains duplicates). */
function warningsOf(procs: readonly SpawnedService[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of procs) for (const l of s.logs) if (Number(l.level) >= 40) out[String(l.msg)] = (out[String(l.msg)] ?? 0) + 1;
  return out;
}

async function unthrottled(fake: FakeGraphApi, redis: Redis) {
  const p = await openPhase(redis, 'free', USERS, fake, { ROLE: 'all' });
  try {
    const service = await spawn(p);
    const redisMb = mb(Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0));
    log(`unthrottled: ${USERS} subscribers, one ROLE=all process (Redis now holds ${redisMb} MB in all)`);
    const { figures } = await broadcast(p, fake, redis, service, USERS);
    log(`unthrottled: ${JSON.stringify(figures)}`);
    return { seedPerSec: p.seedPerSec, result: { ...figures, redisUsedMbAfterSeeding: redisMb } };
  } finally {
    await closeServices(p, redis);
  }
}

async function cluster(fake: FakeGraphApi, redis: Redis) {
  const p = await openPhase(redis, 'cluster', USERS, fake, {});
  try {
    const started: SpawnedService[] = [];
    const { web } = await spawnCluster(p.env, WORKERS, started).finally(() => started.forEach((s) => watch(p, s)));
    log(`cluster: ${USERS} subscribers, ${WORKERS} worker processes + 1 web`);
    const { figures } = await broadcast(p, fake, redis, web, USERS);
    log(`cluster: ${JSON.stringify(figures)}`);
    return { workers: WORKERS, ...figures };
  } finally {
    await closeServices(p, redis);
  }
}

async function limited(fake: FakeGraphApi, redis: Redis) {
  const livePsid = 'bc-live-customer';
  const p = await openPhase(
    redis,
    'limited',
    LIMITED_USERS,
    fake,
    { ROLE: 'all', SEND_RATE_PER_SEC: String(PAGE_RATE), SEND_BURST: '' },
    [livePsid],
  );
  const service = await spawn(p);
  const live = new LiveCustomer(fake, livePsid, () => service.port);
  try {
    await live.ask(); // the first exchange outside the figures
    let done = false;
    const talking = live.talk(LIVE_EVERY_MS, () => done);
    log(`limited: ${LIMITED_USERS} subscribers at ${PAGE_RATE}/s, a live customer every ${LIVE_EVERY_MS} ms`);
    const sending = broadcast(p, fake, redis, service, LIMITED_USERS).finally(() => (done = true));
    const [{ counter, figures }, liveFigures] = await Promise.all([sending, talking]);
    // Both rates over the broadcast's own sending time (its first to its last send at the fake).
    const seconds = (counter.lastAt - counter.firstAt) / 1000;
    const livePerSec = live.sends.filter((t) => t >= counter.firstAt && t <= counter.lastAt).length / seconds;
    const broadcastPerSec = (counter.total - 1) / seconds;
    const bulkShare = PAGE_RATE - livePerSec;
    const steady = counter.steadyPerSec;
    const result = {
      users: LIMITED_USERS,
      broadcastPerSec: round1(broadcastPerSec),
      livePerSec: round1(livePerSec),
      bulkShare: round1(bulkShare),
      ratio: Math.round((broadcastPerSec / bulkShare) * 1000) / 1000,
      // The middle 80% of the sends: the limiter's own accuracy, without the fan-out's start and the last partitions' tail.
      steadyPerSec: round1(steady),
      steadyRatio: Math.round((steady / bulkShare) * 1000) / 1000,
      sendingSeconds: round1(seconds),
      sent: figures.sent,
      duplicates: figures.duplicates,
      ...liveFigures,
      replyDelay: await replyDelayBuckets(service.port),
      rssMb: figures.rssMb,
    };
    log(`limited: ${JSON.stringify(result)}`);
    return result;
  } finally {
    live.close();
    await closeServices(p, redis);
  }
}

async function crash(fake: FakeGraphApi, redis: Redis) {
  const p = await openPhase(redis, 'crash', USERS, fake, { ROLE: 'all', LEASE_TTL_MS: '2000' });
  try {
    const first = await spawn(p);
    let killedAt: number | undefined;
    const id = `bench-${randomUUID().slice(0, 8)}`;
    const text = `Offer ${id} for you`;
    const counter = new SendCounter(fake, text, (total) => {
      if (killedAt === undefined && total >= CRASH_AFTER) {
        first.proc.kill('SIGKILL');
        killedAt = total;
      }
    });
    const createdAt = Date.now();
    await createBroadcast(first, promoDefinition(id, text));
    while (killedAt === undefined) await sleep(20);
    await first.exited();
    log(`crash: killed the service after ${killedAt} sends; starting another`);
    p.procs.splice(0, 1);
    await spawn(p);
    const progress = await settle(p, id, USERS);
    counter.close();
    const result = {
      users: USERS,
      killedAfterSends: killedAt,
      reached: counter.perUser.size,
      duplicates: counter.duplicates,
      inFlightBound: PARTITIONS * DEFAULT_USERS_IN_FLIGHT,
      seconds: round1((counter.lastAt - createdAt) / 1000),
      counters: { targeted: progress.targeted, queued: progress.queued, sent: progress.sent, failed: progress.failed },
      // A lease lost under load (LEASE_TTL_MS is short here) re-sends that partition's sends in flight too.
      warnings: warningsOf([first, ...p.procs]),
    };
    log(`crash: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await closeServices(p, redis);
  }
}

const out: Record<string, unknown> = { bench: 'broadcast', users: USERS, partitions: PARTITIONS };
runBench(REDIS_URL, out, async (fake, redis) => {
  if (PHASES.includes('unthrottled')) {
    const { seedPerSec, result } = await unthrottled(fake, redis);
    out.seedPerSec = seedPerSec;
    out.unthrottled = result;
  }
  if (PHASES.includes('cluster')) out.cluster = await cluster(fake, redis);
  if (PHASES.includes('limited')) out.limited = await limited(fake, redis);
  if (PHASES.includes('crash')) out.crash = await crash(fake, redis);
});
