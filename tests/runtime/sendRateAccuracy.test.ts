/**
 * Rate-limit accuracy (issue #4): with the limit set to 50/s across two worker processes, 1,000
 * sends never exceed 50 (+ burst) in any 1 s window and take (1,000 − burst) / 50 s at least, and
 * no take is refused while a token is due.
 *
 * One ROLE=web process and two ROLE=worker processes on Redis share the 16 partitions, so two
 * processes (and 16 partition senders) draw from the one per-Page bucket in Redis. 1,000 distinct
 * users each say "menu", which with the shipped flows produces exactly one `send` effect per event
 * (plus a mark_seen, a cosmetic sender action: with a burst of 1 the bucket never has room for one,
 * so none is sent and none takes a token): 1,000 calls to /messages, the only ones counted.
 *
 * SEND_BURST=1: a token bucket admits `rate × window + burst` in any window (it may start full and
 * refill during the window), so with the default burst of 10 a 1 s window could legitimately see
 * 60 sends. With burst 1 the bound is 50 + 1: the bucket starts holding its one token, and a
 * window that opens exactly on that first grant can also hold the 50 refilled ones. So the
 * assertion is ≤ 51 (the "+ burst"), and the shortest possible span is (1,000 − 1) / 50 s = 19.98 s.
 *
 * The windows are counted on the grants as the limiter timed them (the Redis server's clock, read
 * through MONITOR: tests/support/bucketGrants.ts), and every send must have had its own grant.
 * Timed at the fake Graph API instead, each send would carry its process's scheduling delay since
 * the grant (an HTTP hop in between), which on a busy machine bunches sends
 * together in a way the limiter never allowed. That the limiter gives the configured rate is
 * checked as "no take refused while a token was due"; how close the span comes to 19.98 s depends
 * on how promptly the senders ask (with burst 1 a late poll loses capacity: ~23 s on a quiet
 * machine, ~37 s beside a CPU hog), so it is printed, not asserted; npm run bench:send measures
 * throughput. Takes ~20 s by design.
 */
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { keysFor, pageRateBucket } from '../../src/store/keys';
import type { Store } from '../../src/store/ports';
import { maxInWindow, unjustifiedRefusals, watchGrants, type BucketGrants } from '../support/bucketGrants';
import { deletePrefix } from '../support/redisKeys';
import { observeRedis, partitionsUpTo, settled } from '../support/settled';
import { spawnCluster, type SpawnedService, killAll } from '../support/spawnService';
import { TEST_PAGE, TEST_REDIS_URL, testEnv } from '../support/testEnv';
import { keepAlive, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

const PARTITIONS = 16;
const RATE = 50;
// RATE_TEST_BURST overrides the burst to compare (e.g. 2: the span is on target but a window can see 52).
const BURST = Number(process.env.RATE_TEST_BURST ?? 1);
const SENDS = 1_000;
const CONNECTIONS = 16;

let fake: FakeGraphApi;
let env: Record<string, string | undefined>;
let store: Store | undefined;
let grants: BucketGrants | undefined;
const procs: SpawnedService[] = [];
const redis = createClient({ url: TEST_REDIS_URL });

const psid = (u: number) => `rate-u${u}`;

beforeAll(async () => {
  await redis.connect();
  fake = await startTestGraphApi();
  env = testEnv({
    INBOX_PARTITIONS: String(PARTITIONS),
    GRAPH_API_URL: fake.url,
    SEND_RATE_PER_SEC: String(RATE),
    SEND_BURST: String(BURST),
  });
});

afterAll(async () => {
  await killAll(procs);
  await fake?.stop();
  await grants?.stop();
  await store?.close();
  await redis.quit();
  if (env) await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

it('1,000 sends at 50/s across two workers: each had its own grant, never more than 50 (+ burst 1) in any 1 s window, paced at the rate', async () => {
  const { workers, web } = await spawnCluster(env, 2, procs);
  const [workerA, workerB] = workers as [SpawnedService, SpawnedService];
  const prefix = env.REDIS_KEY_PREFIX as string;

  // Both workers really send: they split the 16 partitions before traffic starts.
  const keys = keysFor(prefix);
  const pids = [workerA.proc.pid, workerB.proc.pid];
  const split = await waitFor('both workers holding leases on all 16 partitions', async () => {
    const holders = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => redis.get(keys.lease(p))));
    const owners = holders.map((h) => (h ? Number(h.split('-', 1)[0]) : null));
    const perWorker = pids.map((pid) => owners.filter((o) => o === pid).length);
    return perWorker[0]! + perWorker[1]! === PARTITIONS && perWorker.every((n) => n > 0) ? perWorker : undefined;
  });
  expect(split[0]! + split[1]!).toBe(PARTITIONS);
  grants = await watchGrants(TEST_REDIS_URL, keys.rateBucket(pageRateBucket(TEST_PAGE, 'text')));
  store = await observeRedis(prefix);

  const agent = keepAlive(CONNECTIONS);
  const failures: string[] = [];
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < SENDS) {
      const u = next++;
      const res = await postSigned(
        web.port,
        textMessageBody(TEST_PAGE, psid(u), 'menu', started + u, `m_rate_${prefix}_${u}`),
        agent,
      ).catch((err: Error) => ({ status: 0, body: err.message }));
      if (res.status !== 200) failures.push(`${u}: ${res.status} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  agent.destroy();
  expect(failures.slice(0, 5)).toEqual([]);

  // The sends take ≥ 20 s by design; the wait ends the moment the last one is at the fake.
  const sends = () => fake.calls.filter((c) => c.endpoint === 'messages' && c.status === 200);
  await waitFor('1,000 sends at the fake', () => (sends().length >= SENDS ? true : undefined), ((4 * SENDS) / RATE) * 1000).catch(
    async (err: Error) => {
      const all = partitionsUpTo(PARTITIONS);
      const pending = await store!.inbox.pendingCounts(all);
      const outboxes = await Promise.all(all.map(async (p) => (await store!.states.readOutbox(p, '0-0', 10_000)).length));
      throw new Error(
        `${err.message}: ${sends().length} sends, ${grants!.times.length} grants, inbox ${pending.join(',')}, outbox ${outboxes.join(',')}`,
      );
    },
  );
  // Then nothing is left in flight: every outbox entry recorded as done, so no send can follow.
  await settled(store, partitionsUpTo(PARTITIONS));
  await grants.flush();
  expect(sends()).toHaveLength(SENDS);
  expect(new Set(sends().map((c) => c.recipientId)).size).toBe(SENDS);

  // Every send took its own token from the one bucket, and no token was taken for anything else.
  expect(fake.calls.filter((c) => c.endpoint === 'sender_action' && c.status === 200)).toHaveLength(0);
  const granted = [...grants.times].sort((a, b) => a - b);
  expect(granted).toHaveLength(SENDS);
  const spanMs = granted[granted.length - 1]! - granted[0]!;
  const minSpanMs = ((SENDS - BURST) / RATE) * 1000; // 19.98 s
  const at = sends()
    .map((c) => c.at)
    .sort((a, b) => a - b);
  console.log(
    `sendRateAccuracy: ${SENDS} sends at ${RATE}/s (burst ${BURST}) over workers holding ${split.join('+')} partitions: ` +
      `grants first→last ${spanMs.toFixed(0)} ms (${((SENDS - 1) / (spanMs / 1000)).toFixed(2)}/s), max ${maxInWindow(granted, 1000)} in any 1 s; ` +
      `at the fake first→last ${at[at.length - 1]! - at[0]!} ms, max ${maxInWindow(at, 1000)} in any 1 s`,
  );
  // Never more than rate + burst in any 1 s window.
  expect(maxInWindow(granted, 1000)).toBeLessThanOrEqual(RATE + BURST);
  // The limiter paces: 1,000 grants from a bucket of 1 cannot come faster (1 ms for the rounding
  // of the script's clock in its reply).
  expect(spanMs).toBeGreaterThanOrEqual(minSpanMs - 1);
  // And it does not pace slower than configured: every take was granted whenever a token was due.
  // How close to 19.98 s the span comes (printed above) depends on how promptly the senders ask
  // again, i.e. on how busy the machine is, not on the limiter.
  expect(unjustifiedRefusals(grants.attempts, RATE, BURST)).toEqual([]);
  // ≥ 20 s by design: the backstop sits above the start-ups and the 80 s wait for the sends, so a
  // stuck wait is reported by name.
}, 180_000);
