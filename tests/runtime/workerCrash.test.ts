/**
 * Invariant: nothing acknowledged is lost, everything is applied exactly once, and the service
 * scales out (and back in) by adding or losing processes — here a worker is SIGKILLed mid-stream.
 *
 * One ROLE=web process takes 10,000 signed messages for 500 users over ~50 keep-alive
 * connections; two ROLE=worker processes share the 16 inbox partitions. After ~3,000 acks one
 * worker is killed with SIGKILL (no chance to release its leases; it alone has a short lease, so
 * the survivor's takeover comes soon, and the test waits for that takeover). Every request must still be
 * acknowledged, every acknowledged message applied exactly once (version == inbound == acks), and
 * the survivor must end up holding all 16 partitions with every inbox drained.
 */
import pino from 'pino';
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import { createMetrics } from '../../src/metrics';
import { counterHandler } from '../support/counterHandler';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { Worker } from '../../src/runtime/worker';
import { keysFor } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AppendRequest, Store } from '../../src/store/ports';
import { deletePrefix } from '../support/redisKeys';
import { spawnCluster, type SpawnedService, killAll } from '../support/spawnService';
import { TEST_PAGE, TEST_REDIS_URL, testEnv } from '../support/testEnv';
import { keepAlive, postSigned, waitFor } from '../support/webhookClient';

const PARTITIONS = 16;
const USERS = 500;
const PER_USER = 20;
const TOTAL = USERS * PER_USER;
const CONNECTIONS = 50;
const KILL_AFTER_ACKS = 3_000;

const env = testEnv({ INBOX_PARTITIONS: String(PARTITIONS) });
/** The victim's lease: long enough to hold on a busy machine, short enough for a prompt takeover. */
const VICTIM_LEASE_MS = '5000';
const prefix = env.REDIS_KEY_PREFIX as string;
const keys = keysFor(prefix);
const procs: SpawnedService[] = [];
const redis = createClient({ url: TEST_REDIS_URL });

const userId = (u: number) => `crash-u${u}`;
const stateKey = (u: number) => keys.state(partitionOf(TEST_PAGE, userId(u), PARTITIONS), userKeyOf(TEST_PAGE, userId(u)));
const allPartitions = Array.from({ length: PARTITIONS }, (_, p) => p);
const leaseHolders = () => Promise.all(allPartitions.map((p) => redis.get(keys.lease(p))));
const pidOf = (token: string | null) => (token ? Number(token.split('-', 1)[0]) : null);

beforeAll(async () => {
  await redis.connect();
});

afterAll(async () => {
  await killAll(procs);
  await redis.quit();
  await deletePrefix(prefix);
});

it('loses nothing acknowledged and applies it exactly once when a worker is SIGKILLed mid-stream', async () => {
  // Scale out by adding processes: two workers, then the web front.
  const cluster = await spawnCluster(env, 2, procs, (i) => (i === 1 ? { LEASE_TTL_MS: VICTIM_LEASE_MS } : {}));
  const web = cluster.web;
  const [workerA, workerB] = cluster.workers as [SpawnedService, SpawnedService];
  const pids = [workerA.proc.pid, workerB.proc.pid];

  // The two workers split the partitions between them before traffic starts.
  const split = await waitFor('both workers holding leases on all 16 partitions', async () => {
    const holders = (await leaseHolders()).map(pidOf);
    const perWorker = pids.map((pid) => holders.filter((h) => h === pid).length);
    return perWorker[0]! + perWorker[1]! === PARTITIONS && perWorker.every((n) => n > 0) ? perWorker : undefined;
  });
  expect(split).toEqual([8, 8]);

  // 10,000 messages, 20 per user with unique mids, interleaved across users.
  const started = Date.now();
  const bodies = Array.from({ length: TOTAL }, (_, i) => {
    const u = i % USERS;
    const seq = Math.floor(i / USERS);
    return { u, body: textMessageBody(TEST_PAGE, userId(u), `msg ${seq}`, started + i, `m_${prefix}_${u}_${seq}`) };
  });
  const acked = new Array<number>(USERS).fill(0);
  const refused: Array<{ u: number; status: number; body: string }> = [];
  const failed: Array<{ u: number; error: string }> = [];
  let ackCount = 0;
  let next = 0;
  let killedAt: { acks: number; holders: Array<number | null>; pending: number } | undefined;
  const victim = workerB; // spawned with VICTIM_LEASE_MS
  const survivor = workerA;

  const killVictim = async () => {
    victim.proc.kill('SIGKILL');
    const [holders, pending] = await Promise.all([
      leaseHolders().then((h) => h.map(pidOf)),
      Promise.all(allPartitions.map((p) => redis.xLen(keys.inbox(p)))).then((c) => c.reduce((a, b) => a + b, 0)),
    ]);
    killedAt = { acks: ackCount, holders, pending };
  };
  let killing: Promise<void> | undefined;

  const agent = keepAlive(CONNECTIONS);
  const lane = async () => {
    while (next < TOTAL) {
      const { u, body } = bodies[next++]!;
      try {
        const res = await postSigned(web.port, body, agent);
        if (res.status === 200) {
          acked[u]! += 1;
          if (++ackCount === KILL_AFTER_ACKS) killing = killVictim();
        } else refused.push({ u, status: res.status, body: res.body });
      } catch (err) {
        failed.push({ u, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  agent.destroy();
  await killing;
  const streamedMs = Date.now() - started;

  // Every request was acknowledged.
  expect(failed.slice(0, 5)).toEqual([]);
  expect(refused.slice(0, 5)).toEqual([]);
  expect(ackCount).toBe(TOTAL);
  expect(acked.every((n) => n === PER_USER)).toBe(true);

  // The kill really happened mid-stream, while the victim held partitions.
  expect(killedAt).toBeDefined();
  expect(await victim.exited()).toBeNull();
  expect(victim.proc.signalCode).toBe('SIGKILL');
  expect(killedAt!.holders.filter((h) => h === victim.proc.pid).length).toBeGreaterThan(0);

  // Everything acknowledged gets applied: wait until every inbox is drained and every user's
  // count matches what was acked.
  const userKeys = Array.from({ length: USERS }, (_, u) => stateKey(u));
  const readStates = () =>
    Promise.all(
      userKeys.map(async (key) => {
        const [v, s] = await redis.hmGet(key, ['v', 's']);
        return { version: Number(v ?? 0), state: s ? (JSON.parse(s) as { inbound: number }) : null };
      }),
    );
  const drainedAt = Date.now();
  const states = await waitFor(
    'every acknowledged message applied',
    async () => {
      const pending = await Promise.all(allPartitions.map((p) => redis.xLen(keys.inbox(p))));
      if (pending.some((n) => n > 0)) return undefined;
      const all = await readStates();
      return all.every((st, u) => (st.state?.inbound ?? 0) === acked[u]) ? all : undefined;
    },
    60_000,
  ).catch(async (err: Error) => {
    const all = await readStates();
    const off = all.map((st, u) => ({ u, acked: acked[u], ...st })).filter((x) => (x.state?.inbound ?? 0) !== x.acked);
    throw new Error(`${err.message}; ${off.length} users off, e.g. ${JSON.stringify(off.slice(0, 3))}`);
  });
  const applyMs = Date.now() - drainedAt;

  // Exactly once: one version per applied message, no double apply.
  const doubled = states
    .map((st, u) => ({ u, version: st.version, inbound: st.state?.inbound }))
    .filter((x) => x.version !== x.inbound);
  expect(doubled.slice(0, 5)).toEqual([]);
  expect(states.reduce((sum, st) => sum + st.version, 0)).toBe(TOTAL);

  // The survivor took over: it holds every lease, is the only live worker, and the inboxes are empty.
  const takeover = await waitFor('the survivor holding all 16 leases', async () => {
    const holders = await leaseHolders();
    return holders.every((h) => h?.startsWith(`${survivor.proc.pid}-`)) ? holders : undefined;
  });
  expect(takeover).toHaveLength(PARTITIONS);
  expect(new Set(takeover.map((t) => t!.split('#', 1)[0])).size).toBe(1);
  const workers = await waitFor('the dead worker dropped from the live set', async () => {
    const live = await redis.zRange(keys.workers(), 0, -1);
    return live.length === 1 ? live : undefined;
  });
  expect(workers[0]!.startsWith(`${survivor.proc.pid}-`)).toBe(true);
  expect(await Promise.all(allPartitions.map((p) => redis.xLen(keys.inbox(p))))).toEqual(Array(PARTITIONS).fill(0));
  expect(survivor.proc.exitCode).toBeNull();
  expect(web.proc.exitCode).toBeNull();

  if (process.env.DEBUG_CRASH) {
    console.log({
      streamedMs,
      applyMs,
      killedAt: {
        acks: killedAt!.acks,
        pending: killedAt!.pending,
        victimHeld: killedAt!.holders.filter((h) => h === victim.proc.pid).length,
      },
    });
  }
});

/**
 * The same invariant for a worker that does not die but stalls (GC pause, SIGSTOP, a blocked
 * event loop) past its lease TTL and then re-takes its own partition: the items it had read but
 * not yet applied must still be applied, once, in order. Memory store with a movable clock, so
 * the stall is deterministic; the first state load is held on a gate to keep items queued.
 */
describe('a worker stalled past its lease TTL that re-takes its own partition', () => {
  it('still applies every acknowledged item it had read but not applied', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const memory = createMemoryStore({ dedupeTtlSeconds: 60, now });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let gatedLoadStarted!: () => void;
    const gatedLoad = new Promise<void>((resolve) => (gatedLoadStarted = resolve));
    let firstLoad = true;
    const tokens: string[] = [];
    const store: Store = {
      kind: memory.kind,
      inbox: memory.inbox,
      leases: {
        heartbeat: (id, ttl) => memory.leases.heartbeat(id, ttl),
        leave: (id) => memory.leases.leave(id),
        renew: (p, t, ttl) => memory.leases.renew(p, t, ttl),
        release: (p, t) => memory.leases.release(p, t),
        acquire: async (p, id, ttl) => {
          const token = await memory.leases.acquire(p, id, ttl);
          if (token) tokens.push(token);
          return token;
        },
      },
      states: {
        load: async (p, key) => {
          if (firstLoad) {
            firstLoad = false;
            gatedLoadStarted();
            await gate;
          }
          return memory.states.load(p, key);
        },
        commit: (c) => memory.states.commit(c),
        readOutbox: (p, after, count) => memory.states.readOutbox(p, after, count),
        outboxCursor: (p) => memory.states.outboxCursor(p),
        outboxBacklog: (p) => memory.states.outboxBacklog(p),
        ackOutbox: (p, t, done, cursor) => memory.states.ackOutbox(p, t, done, cursor),
        deliveryFacts: (p, key) => memory.states.deliveryFacts(p, key),
        sendFacts: (p, key) => memory.states.sendFacts(p, key),
        markUnreachable: (p, key, at) => memory.states.markUnreachable(p, key, at),
        threads: (p) => memory.states.threads(p),
        forget: (p, token, id, u, t) => memory.states.forget(p, token, id, u, t),
        forgottenAt: (p, u) => memory.states.forgottenAt(p, u),
        userOutbox: (p, u) => memory.states.userOutbox(p, u),
      },
      rateLimits: memory.rateLimits,
      timers: memory.timers,
      ping: () => memory.ping(),
      close: () => memory.close(),
    };
    const worker = new Worker({
      store,
      handler: counterHandler,
      partitions: 1,
      workerId: 'stalled',
      // The stall is the clock jump below; the lease holds against real delays on a busy machine.
      leaseTtlMs: 3000,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
      now,
      // One long blocking read stays open across the stall, as XREAD BLOCK does on Redis.
      readBlockMs: 10_000,
    });
    let n = 0;
    const event = (): AppendRequest => {
      n += 1;
      const dedupeKey = `mid:stall-${n}`;
      return {
        partition: 0,
        dedupeKey,
        record: {
          source: 'webhook',
          event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: n, dedupeKey, raw: {} },
        },
      };
    };
    await worker.start();
    try {
      expect(tokens).toEqual(['stalled#1']);
      // Three items are acknowledged and read; the first apply is stuck in its state load.
      expect(await memory.inbox.append([event(), event(), event()])).toEqual({ appended: 3, duplicates: 0 });
      await gatedLoad;
      // The stall outlasts the lease: the next maintenance round finds the lease expired,
      // drops it and, the partition being free, takes it again with a new token.
      offset += 120_000;
      await waitFor('the partition re-taken with a new lease', () => (tokens.length >= 2 ? true : undefined));
      expect(tokens[1]).toBe('stalled#2');
      // One more acknowledged item arrives; then the stuck apply finishes (and is fenced off).
      expect(await memory.inbox.append([event()])).toEqual({ appended: 1, duplicates: 0 });
      openGate();
      const applied = await waitFor('all 4 acknowledged items applied', async () => {
        const [pending] = await memory.inbox.pendingCounts([0]);
        const st = await memory.states.load(0, userKeyOf('p', 'u'));
        return pending === 0 && st.version >= 4 ? st : undefined;
      }).catch(async (err: Error) => {
        const st = await memory.states.load(0, userKeyOf('p', 'u'));
        const [pending] = await memory.inbox.pendingCounts([0]);
        throw new Error(
          `${err.message}: version ${st.version}, state ${JSON.stringify(st.data)}, still in the inbox ${pending}, cursor ${await memory.inbox.cursor(0)}`,
        );
      });
      expect(applied.version).toBe(4);
      expect(applied.data).toMatchObject({ inbound: 4 });
    } finally {
      const stopping = worker.stop();
      await memory.close(); // wakes the long blocking read so stop() returns at once
      await stopping;
    }
  });
});
