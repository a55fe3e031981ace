/**
 * Crash test for broadcasts: kill -9 the service while a broadcast to 3,000 subscribers is being
 * sent → a new process takes over the partitions (the dead one's leases expire), goes on with the
 * fan-out from its recorded place and each outbox from its first unacknowledged entry, and every
 * subscriber gets the broadcast exactly once, except for sends in flight at the kill.
 *
 * The service (ROLE=all) runs as a child process on Redis; the fake Graph API runs here and answers
 * after 5 ms, so sends are in flight when the kill lands. The subscribers are seeded through the
 * store port (tests/support/seedSubscribers.ts), and the broadcast is created through the admin API.
 *
 * In-flight window: each partition's sender delivers up to DEFAULT_USERS_IN_FLIGHT users at a time
 * and acks an entry only after Meta's 200, so at most that many sends per partition can have
 * reached the fake unacknowledged: ≤ PARTITIONS × 4 duplicates, plus 4 for each lease the new
 * process loses itself (a loaded machine, a short TTL). The lane's decision (targeted,
 * queued) is committed with the item and the sender's counter with the ack, so the counters count
 * each user once whatever the fake saw. The duplicate count is printed so it can be quoted.
 */
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { DEFAULT_USERS_IN_FLIGHT } from '../../src/runtime/outboxSender';
import type { BroadcastStore, Store } from '../../src/store/ports';
import { MARKETER_TOKENS_ENV, createBroadcast, progressOf, promoDefinition } from '../support/adminBroadcast';
import { crashEnv, duplicatesOf, killAfterSends } from '../support/crashSends';
import { deletePrefix } from '../support/redisKeys';
import { seedSubscribers } from '../support/seedSubscribers';
import { observeRedis, partitionsUpTo } from '../support/settled';
import { spawnService, type SpawnedService, killAll } from '../support/spawnService';
import { TEST_PAGE } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { waitFor } from '../support/webhookClient';

const PARTITIONS = 16;
const USERS = 3_000;
const KILL_AFTER_SENDS = 400;
const TEXT = 'Crash sale for you';
const ID = 'crash-1';

let fake: FakeGraphApi;
let env: Record<string, string | undefined>;
let store: Store | undefined;
const procs: SpawnedService[] = [];

const psid = (u: number) => `bc-u${u}`;

beforeAll(async () => {
  fake = await startTestGraphApi();
  fake.fail.latency(5);
  env = crashEnv(PARTITIONS, fake, { ADMIN_TOKENS: MARKETER_TOKENS_ENV, ADMIN_PORT: '0' });
  store = await observeRedis(env.REDIS_KEY_PREFIX as string);
});

afterAll(async () => {
  await killAll(procs);
  await fake?.stop();
  await store?.close();
  if (env) await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

it('after kill -9 mid-broadcast and a restart, every subscriber gets it once, duplicates only from the in-flight window', async () => {
  const observed = store as Store;
  const broadcasts = observed.broadcasts as BroadcastStore;
  const psids = Array.from({ length: USERS }, (_, u) => psid(u));
  await seedSubscribers({ store: observed, pageId: TEST_PAGE, partitions: PARTITIONS, psids, now: Date.now() });

  // Nothing is sent before the broadcast exists, so listening from here on misses nothing.
  const first = await spawnService(env);
  procs.push(first);
  const { received, killedAt, unsubscribe } = killAfterSends(fake, TEXT, KILL_AFTER_SENDS, () => first);

  const started = Date.now();
  await createBroadcast(first, promoDefinition(ID, TEXT));

  await waitFor(`${KILL_AFTER_SENDS} sends at the fake (and the kill)`, killedAt);
  expect(await first.exited()).toBeNull();
  expect(first.proc.signalCode).toBe('SIGKILL');
  const sentAtKill = received.size;
  expect(sentAtKill).toBeLessThan(USERS);

  const second = await spawnService(env);
  procs.push(second);
  const restartedMs = Date.now() - started;

  const progress = await waitFor(
    'the broadcast settled after the restart',
    async () => {
      const p = progressOf(await broadcasts.stats(ID, partitionsUpTo(PARTITIONS)));
      return p.settled(USERS) ? p : undefined;
    },
    120_000,
  );
  // The fan-out walked every partition: the broadcast is done.
  await waitFor('the broadcast marked done', async () => ((await broadcasts.get(ID))?.status === 'done' ? true : undefined));
  const doneMs = Date.now() - started;
  unsubscribe();

  expect(progress).toMatchObject({ targeted: USERS, queued: USERS, sent: USERS, skippedBySender: 0, failed: 0 });
  expect(psids.filter((p) => !received.has(p)).slice(0, 5)).toEqual([]);
  expect(received.size).toBe(USERS); // nobody outside the audience
  const { duplicates, leasesLost, bound } = duplicatesOf(received, PARTITIONS, second);
  console.log(
    `broadcastCrash: ${USERS} subscribers, killed at ${killedAt()!.sends} sends (${sentAtKill} users reached by its exit), ` +
      `duplicates ${duplicates} (bound ${bound}: ${DEFAULT_USERS_IN_FLIGHT} in flight × (${PARTITIONS} partitions + ${leasesLost} leases lost after the restart)), ` +
      `restarted at ${restartedMs} ms, settled and done at ${doneMs} ms; counters ${JSON.stringify(progress)}`,
  );
  expect(duplicates).toBeLessThanOrEqual(bound);
  expect(second.proc.exitCode).toBeNull();
});
