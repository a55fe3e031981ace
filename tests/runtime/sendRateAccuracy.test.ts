/**
 * Rate-limit accuracy (issue #4): with the limit set to 50/s across two worker processes, 1,000
 * sends take 20 s ± 10% and never exceed 50 in any 1 s window, measured at the fake Graph API.
 *
 * One ROLE=web process and two ROLE=worker processes on Redis share the 16 partitions, so two
 * processes (and 16 partition senders) draw from the one per-Page bucket in Redis. 1,000 distinct
 * users each say "menu", which with the shipped flows produces exactly one `send` effect per event
 * (plus a mark_seen and a typing_on, which are sender actions and take no token): 1,000 calls to
 * /messages, the only ones counted.
 *
 * SEND_BURST=1: a token bucket admits `rate × window + burst` in any window (it may start full and
 * refill during the window), so with the default burst of 10 a 1 s window could legitimately see
 * 60 sends. With burst 1 the bound is 50 + 1: the bucket starts holding its one token, and a
 * window that opens exactly on that first grant can also hold the 50 refilled ones. So the
 * assertion is ≤ 51 (the "+ burst"), and the expected span is (1,000 − 1) / 50 s = 19.98 s.
 * Takes ~20 s by design.
 */
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { keysFor } from '../../src/store/keys';
import { deletePrefix } from '../support/redisKeys';
import { spawnCluster, type SpawnedService } from '../support/spawnService';
import { TEST_PAGE, TEST_REDIS_URL, TEST_SECRET, testEnv } from '../support/testEnv';
import { keepAlive, postSigned, waitFor } from '../support/webhookClient';

const PARTITIONS = 16;
const RATE = 50;
// RATE_TEST_BURST overrides the burst to compare (e.g. 2: the span is on target but a window can see 52).
const BURST = Number(process.env.RATE_TEST_BURST ?? 1);
const SENDS = 1_000;
const CONNECTIONS = 16;

let fake: FakeGraphApi;
let env: Record<string, string | undefined>;
const procs: SpawnedService[] = [];
const redis = createClient({ url: TEST_REDIS_URL });

const psid = (u: number) => `rate-u${u}`;

beforeAll(async () => {
  await redis.connect();
  fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    appId: 'test-app',
  });
  env = testEnv({
    INBOX_PARTITIONS: String(PARTITIONS),
    LEASE_TTL_MS: '1500',
    GRAPH_API_URL: fake.url,
    SEND_RATE_PER_SEC: String(RATE),
    SEND_BURST: String(BURST),
  });
});

afterAll(async () => {
  for (const s of procs) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  await Promise.all(procs.map((s) => s.exited()));
  await fake?.stop();
  await redis.quit();
  if (env) await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

it('1,000 sends at 50/s across two workers take 20 s ± 10% and never exceed 50 (+ burst 1) in any 1 s window', async () => {
  const { workers, web } = await spawnCluster(env, 2, procs);
  const [workerA, workerB] = workers as [SpawnedService, SpawnedService];

  // Both workers really send: they split the 16 partitions before traffic starts.
  const keys = keysFor(env.REDIS_KEY_PREFIX as string);
  const pids = [workerA.proc.pid, workerB.proc.pid];
  const split = await waitFor(
    'both workers holding leases on all 16 partitions',
    async () => {
      const holders = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => redis.get(keys.lease(p))));
      const owners = holders.map((h) => (h ? Number(h.split('-', 1)[0]) : null));
      const perWorker = pids.map((pid) => owners.filter((o) => o === pid).length);
      return perWorker[0]! + perWorker[1]! === PARTITIONS && perWorker.every((n) => n > 0) ? perWorker : undefined;
    },
    15_000,
  );
  expect(split[0]! + split[1]!).toBe(PARTITIONS);

  const agent = keepAlive(CONNECTIONS);
  const failures: string[] = [];
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < SENDS) {
      const u = next++;
      const res = await postSigned(
        web.port,
        textMessageBody(TEST_PAGE, psid(u), 'menu', started + u, `m_rate_${env.REDIS_KEY_PREFIX}_${u}`),
        agent,
      ).catch((err: Error) => ({ status: 0, body: err.message }));
      if (res.status !== 200) failures.push(`${u}: ${res.status} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  agent.destroy();
  expect(failures.slice(0, 5)).toEqual([]);

  const sends = () => fake.calls.filter((c) => c.endpoint === 'messages' && c.status === 200);
  await waitFor('1,000 sends at the fake', () => (sends().length >= SENDS ? true : undefined), 40_000);
  await new Promise((r) => setTimeout(r, 300)); // nothing more should arrive
  const at = sends()
    .map((c) => c.at)
    .sort((a, b) => a - b);
  expect(at).toHaveLength(SENDS);
  expect(new Set(sends().map((c) => c.recipientId)).size).toBe(SENDS);

  // Span from the first to the last send: (1,000 − 1) / 50 s = 19.98 s, ± 10%.
  const spanMs = at[at.length - 1]! - at[0]!;
  // Every 1 s window [t, t + 1000) starting on a send, slid over all of them.
  let maxPerSecond = 0;
  let j = 0;
  for (let i = 0; i < at.length; i += 1) {
    while (j < at.length && at[j]! < at[i]! + 1000) j += 1;
    maxPerSecond = Math.max(maxPerSecond, j - i);
  }
  console.log(
    `sendRateAccuracy: ${SENDS} sends at ${RATE}/s (burst ${BURST}) over workers holding ${split.join('+')} partitions: first→last ${spanMs} ms (${((SENDS - 1) / (spanMs / 1000)).toFixed(2)}/s), max ${maxPerSecond} in any 1 s window`,
  );
  expect(spanMs).toBeGreaterThanOrEqual(18_000);
  expect(spanMs).toBeLessThanOrEqual(22_000);
  expect(maxPerSecond).toBeLessThanOrEqual(RATE + BURST);
}, 90_000);
