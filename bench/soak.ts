/**
 * `npm run soak` (issue #14): the service as deployed at scale, under a realistic mix, with faults,
 * for a fixed time; then its invariants. Loopback only, stops by itself.
 *
 * SOAK_WEBS (2) ROLE=web and SOAK_WORKERS (3) ROLE=worker `talkshop serve` processes from the
 * build, on a Redis Cluster started for the run (SOAK_STORE=cluster, 3 masters and 3 replicas,
 * bench/redisCluster.ts) or on REDIS_URL under a key prefix of the run's own (SOAK_STORE=single);
 * the fake Graph API in this process (it answers at once and tells us of every call). The load
 * (soakLoad.ts, soakCustomer.ts) offers SOAK_RATE events a second for SOAK_SECONDS: new customers
 * by Get Started and m.me links, quick replies, free text, sizes, order numbers, emails, handovers
 * (standby texts, a person's reply from the Page Inbox, Done), delivery and read receipts, 5% of
 * the bodies redelivered; a broadcast to SOAK_BROADCAST_USERS seeded subscribers (and the customers
 * who gave their email) is created through the admin API at SOAK_BROADCAST_AT_S. Meanwhile a random
 * worker is killed with SIGKILL every SOAK_KILL_EVERY_S and started again, and (cluster) one master
 * is killed at SOAK_FAILOVER_AT_S so its replica takes over. Then, once everything in flight is
 * applied and sent, the checks of soakChecks.ts, and ONE JSON line on stdout (progress on stderr).
 *
 * SOAK_FIND_CEILING=1 instead raises the rate step by step (soakCeiling.ts) until the inbox lag
 * grows without bound, and reports where. Every knob: soakConfig.ts.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startFakeGraphApi } from '../src/emulator/fakeGraphApi';
import { partitionOf, userKeyOf } from '../src/store/partitionOf';
import type { Store } from '../src/store/ports';
import { createRedisStore } from '../src/store/redis/redisStore';
import { MARKETER_TOKEN, MARKETER_TOKENS_ENV, progressOf, promoDefinition } from '../tests/support/adminBroadcast';
import { seedSubscribers } from '../tests/support/seedSubscribers';
import { isSettled, partitionsUpTo } from '../tests/support/settled';
import { TEST_PAGE, TEST_SECRET } from '../tests/support/testEnv';
import { deletePrefix, openRedis } from './processes';
import { checkSoak, type UserRecord } from './soakChecks';
import { findCeiling, type LagSample } from './soakCeiling';
import { readSoakKnobs, type SoakKnobs } from './soakConfig';
import { SoakFleet, rssMb } from './soakFleet';
import { SoakLoad } from './soakLoad';
import { startSoakRedis, type SoakRedis } from './soakRedis';

const APP_ID = 'soak-app';
const BROADCAST_TEXT = 'Soak sale: 15% off trail shoes this weekend.';
const REPO = join(__dirname, '..', '..'); // dist/bench → the tree that was built
const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

const log = (msg: string) => process.stderr.write(`[soak] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (values: readonly number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
};
/** mulberry32: the run's choices repeat for a given SOAK_SEED. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Items waiting in every inbox partition (appended, not yet applied), from the store. */
async function sampleLag(store: Store, partitions: number): Promise<LagSample> {
  const counts = await store.inbox.pendingCounts(partitionsUpTo(partitions));
  return { at: Date.now(), total: counts.reduce((a, b) => a + b, 0), max: Math.max(0, ...counts) };
}

/** The state's count of customer actions (userState.ts `inbound`), NaN when it has none (the checker counts that as no state). */
const inboundOf = (data: unknown): number => {
  const n = (data as { inbound?: unknown }).inbound;
  return typeof n === 'number' ? n : Number.NaN;
};

/** POST /admin/broadcasts as a marketer: the soak's promotional broadcast to everyone subscribed to offers. */
async function createBroadcast(adminPort: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/admin/broadcasts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MARKETER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ definition: promoDefinition('soak-sale', BROADCAST_TEXT) }),
  });
  if (res.status !== 201) throw new Error(`POST /admin/broadcasts answered ${res.status}: ${await res.text()}`);
}

async function main(): Promise<void> {
  const k = readSoakKnobs(process.env, existsSync(join(__dirname, 'redisCluster.js')));
  log(`knobs ${JSON.stringify(k)}`);
  const random = seeded(k.seed);
  const redis = await startSoakRedis(k, log);
  const prefix = `soak-${k.seed}`;
  const fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'soak-token',
    pageId: TEST_PAGE,
    appId: APP_ID,
    maxRecordedCalls: 0,
  });
  let store: Store | undefined;
  let fleet: SoakFleet | undefined;
  try {
    store = await createRedisStore({
      ...redis.storeOptions,
      keyPrefix: prefix,
      dedupeTtlSeconds: 3600,
      timeoutMs: 30_000,
      logger: pino({ level: 'silent' }),
    });
    const now = Date.now();
    const seed = await seedSubscribers({
      store,
      pageId: TEST_PAGE,
      partitions: k.partitions,
      psids: Array.from({ length: k.broadcastUsers }, (_, i) => `sb-${i}`),
      now,
    });
    log(`seeded ${seed.users} subscribers in ${seed.ms} ms`);
    const env: Record<string, string | undefined> = {
      ...redis.serviceEnv,
      REDIS_KEY_PREFIX: prefix,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      MESSENGER_PAGE_ID: TEST_PAGE,
      MESSENGER_ACCESS_TOKEN: 'soak-token',
      MESSENGER_APP_ID: APP_ID,
      MESSENGER_APP_SECRET: TEST_SECRET,
      MESSENGER_VERIFY_TOKEN: 'soak-verify',
      GRAPH_API_URL: fake.url,
      FLOWS_DIR: join(REPO, 'flows'),
      INBOX_PARTITIONS: String(k.partitions),
      LEASE_TTL_MS: String(k.leaseTtlMs),
      REDIS_WAIT_REPLICAS: String(k.waitReplicas),
      SEND_RATE_PER_SEC: String(k.sendRate),
      SEND_BURST: String(k.sendBurst),
    };
    fleet = await SoakFleet.start({
      cli: CLI,
      env,
      webs: k.webs,
      workers: k.workers,
      webEnv: { ADMIN_TOKENS: MARKETER_TOKENS_ENV, ADMIN_PORT: '0' },
      log,
    });
    log(`${k.webs} web and ${k.workers} worker processes ready`);
    const load = new SoakLoad(
      {
        pageId: TEST_PAGE,
        appId: APP_ID,
        appSecret: TEST_SECRET,
        webPorts: fleet.webs.map((w) => w.port),
        rate: k.findCeiling ? k.ceilingFrom : k.rate,
        personShare: k.personShare,
        redeliverShare: k.redeliverShare,
        maxInFlight: k.maxInFlight,
        replyTimeoutMs: k.replyTimeoutMs,
        psidPrefix: 'sk-',
        random,
        broadcastText: BROADCAST_TEXT,
      },
      fake,
    );
    const out = k.findCeiling ? await ceilingRun(k, fleet, load, store) : await soakRun(k, fleet, load, store, redis, random);
    process.stdout.write(`${JSON.stringify({ ...out, knobs: k })}\n`);
  } finally {
    await fleet?.stop();
    await store?.close();
    await fake.stop();
    if (k.store === 'single') {
      const r = await openRedis(k.redisUrl);
      await deletePrefix(r, prefix);
      await r.quit();
    }
    await redis.stop();
  }
}

async function soakRun(k: SoakKnobs, fleet: SoakFleet, load: SoakLoad, store: Store, redis: SoakRedis, random: () => number) {
  const started = Date.now();
  const end = started + k.seconds * 1000;
  const lag: LagSample[] = [];
  const loads: number[] = [];
  let benchPeakMb = 0;
  let failover: Record<string, unknown> | undefined;
  let broadcastCreatedAt: number | undefined;
  const redisCpu0 = await redis.cpuSeconds();
  load.start();
  const sampler = setInterval(() => {
    fleet.sampleRss();
    benchPeakMb = Math.max(benchPeakMb, rssMb(process.pid));
    loads.push(loadavg()[0]!);
    void sampleLag(store, k.partitions).then(
      (s) => lag.push(s),
      () => undefined,
    );
  }, 2000);
  const progress = setInterval(() => {
    const last = lag[lag.length - 1];
    log(
      `${Math.round((Date.now() - started) / 1000)} s: offered ${load.offered}, acked ${load.acknowledged}, customers ${load.customers.size}, inbox lag ${last?.total}, kills ${fleet.kills}, load ${loadavg()[0]!.toFixed(1)}`,
    );
  }, 30_000);
  // Three independent schedules: a restart (seconds on a busy machine) must not hold up the failover or the broadcast.
  const faultTimes: number[] = [];
  const until = async (at: number) => {
    while (Date.now() < at && Date.now() < end) await sleep(250);
    return Date.now() < end;
  };
  const kills = (async () => {
    if (k.killEverySeconds <= 0) return;
    for (let at = started + k.killEverySeconds * 1000; await until(at); at += k.killEverySeconds * 1000) {
      const i = Math.floor(random() * fleet.workers.length);
      faultTimes.push(Date.now());
      await fleet.killAndRestart(i).catch((e: Error) => log(`restart of worker ${i}: ${e.message}`));
    }
  })();
  const failing = (async () => {
    if (k.failoverAtSeconds <= 0 || !redis.failover || !(await until(started + k.failoverAtSeconds * 1000))) return;
    faultTimes.push(Date.now());
    failover = { at: Math.round((Date.now() - started) / 1000) };
    failover = { ...failover, ...(await redis.failover().catch((e: Error) => ({ error: e.message }))) };
    log(`failover ${JSON.stringify(failover)}`);
  })();
  const broadcasting = (async () => {
    if (k.broadcastUsers <= 0 || !(await until(started + k.broadcastAtSeconds * 1000))) return;
    broadcastCreatedAt = Date.now();
    await createBroadcast(fleet.adminPorts[0] ?? 0).catch((e: Error) => log(`broadcast: ${e.message}`));
  })();
  await until(end);
  await Promise.all([kills, failing, broadcasting]);
  await load.stop();
  const loadEnded = Date.now();
  log(`load stopped: offered ${load.offered}, acked ${load.acknowledged}; waiting for everything in flight`);
  const parts = partitionsUpTo(k.partitions);
  let drained = false;
  while (Date.now() < loadEnded + k.drainSeconds * 1000) {
    if (await isSettled(store, parts).catch(() => false)) {
      drained = true;
      break;
    }
    await sleep(500);
  }
  const drainMs = Date.now() - loadEnded;
  clearInterval(sampler);
  clearInterval(progress);
  fleet.sampleRss();
  log(`settled: ${drained} after ${drainMs} ms; reading ${load.customers.size} states`);
  const records: UserRecord[] = [];
  const customers = [...load.customers.values()];
  for (let i = 0; i < customers.length; i += 1000) {
    const batch = customers.slice(i, i + 1000);
    const states = await Promise.all(
      batch.map((c) => store.states.load(partitionOf(TEST_PAGE, c.psid, k.partitions), userKeyOf(TEST_PAGE, c.psid))),
    );
    batch.forEach((c, j) => {
      const data = states[j]!.data;
      records.push({
        psid: c.psid,
        acked: c.acked,
        uncertain: c.uncertain,
        // `inbound` read as stored: decoding every state (zod) would cost minutes for a long run's customers.
        stored: data === null || data === undefined ? undefined : inboundOf(data),
        humanIntervals: c.humanIntervals,
        marks: c.marks,
        sends: load.sends.get(c.psid) ?? [],
      });
    });
  }
  const verdict = checkSoak(records);
  const cpu = fleet.cpuSeconds();
  for (const e of verdict.examples) log(`violation: ${e}`);
  const broadcast = progressOf((await store.broadcasts?.stats('soak-sale', parts)) ?? {});
  const seconds = (loadEnded - started) / 1000;
  return {
    soak: 'issue14',
    store: k.store,
    seconds: Math.round(seconds),
    offered: load.offered,
    offeredPerS: Math.round(load.offered / seconds),
    acknowledged: load.acknowledged,
    notAcknowledged: load.givenUp,
    refusedAttempts: load.attemptsRefused,
    slotsMissed: load.slotsMissed,
    byKind: load.byKind,
    customers: load.customers.size,
    handovers: load.handovers,
    expectedApplied: verdict.expected,
    applied: verdict.applied,
    lost: verdict.lost,
    appliedTwice: verdict.appliedTwice,
    sendsWhileHuman: verdict.sendsWhileHuman,
    outOfOrder: verdict.outOfOrder,
    duplicatesAtFake: verdict.duplicateSends,
    // First copy sent within 30 s before a kill or the failover: the in-flight window of a process or node that died.
    duplicatesNearFaults: verdict.duplicateFirstAts.filter((at) => faultTimes.some((f) => at <= f && at > f - 30_000)).length,
    ackMs: { p50: pct(load.ackMs, 50), p99: pct(load.ackMs, 99) },
    e2eMs: { p50: pct(load.e2eMs, 50), p99: pct(load.e2eMs, 99), n: load.e2eMs.length, replyTimeouts: load.replyTimeouts },
    inboxLagMax: { items: Math.max(0, ...lag.map((s) => s.total)), partitionItems: Math.max(0, ...lag.map((s) => s.max)) },
    drained,
    drainMs,
    broadcast: {
      createdAtS: broadcastCreatedAt && Math.round((broadcastCreatedAt - started) / 1000),
      targeted: broadcast.targeted,
      queued: broadcast.queued,
      sent: broadcast.sent,
      failed: broadcast.failed,
    },
    faults: {
      workerKills: fleet.kills,
      restartMs: { p50: pct(fleet.restartMs, 50), max: Math.max(0, ...fleet.restartMs) },
      failover: failover ?? null,
    },
    rssMb: { web: fleet.webPeakMb, worker: fleet.workerPeakMb, bench: benchPeakMb, redis: await redis.rssMb() },
    cpuSeconds: { ...cpu, redis: Math.round(((await redis.cpuSeconds()) - redisCpu0) * 10) / 10 },
    // Sizing: events a CPU-second buys, whatever else the machine was doing.
    perCpuSecond: {
      acksPerWebCpuS: Math.round(load.acknowledged / Math.max(0.1, cpu.web)),
      appliedPerWorkerCpuS: Math.round(load.acknowledged / Math.max(0.1, cpu.worker)),
    },
    loadAvg: {
      mean: Math.round((loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length)) * 10) / 10,
      max: Math.max(0, ...loads),
    },
    cores: (await import('node:os')).cpus().length,
  };
}

async function ceilingRun(k: SoakKnobs, fleet: SoakFleet, load: SoakLoad, store: Store) {
  return findCeiling(k, load, fleet, (s) => sampleLag(store, s), log);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
