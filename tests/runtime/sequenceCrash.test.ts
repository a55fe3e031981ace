/**
 * Crash test for drip sequences (#11 acceptance): 2,500 subscribers whose sequence step falls due
 * at the same moment; kill -9 the service during the burst → a new process takes over the
 * partitions (the dead one's leases expire), fires the timers still in the store, applies what the
 * pump had already moved into the inboxes, sends each outbox from its first unacknowledged entry,
 * and every subscriber gets the step exactly once, except for sends in flight at the kill.
 *
 * The service (ROLE=all) runs as a child process on Redis; the fake Graph API runs here and answers
 * after 5 ms, so sends are in flight when the kill lands. The states (consent, window, the running
 * sequence with its timer id) and the timers are seeded through the store ports
 * (tests/support/seedSequence.ts).
 *
 * In-flight window: each partition's sender delivers up to DEFAULT_USERS_IN_FLIGHT users at a time
 * and acks an entry only after Meta's 200, so at most PARTITIONS × 4 sends can have reached the
 * fake unacknowledged, plus 4 for each lease the new process loses itself (the short TTL on a
 * loaded machine; counted from its log, as in broadcastCrash.test.ts). A step is decided once: the lane commits its decision (targeted, queued)
 * with the item, and only the timer id kept in the state counts. The duplicate count is printed.
 */
import { rmSync } from 'node:fs';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { stepStatId } from '../../src/engine/sequenceEvents';
import { DEFAULT_USERS_IN_FLIGHT } from '../../src/runtime/outboxSender';
import type { BroadcastStore, Store } from '../../src/store/ports';
import { progressOf } from '../support/adminBroadcast';
import { crashEnv, duplicatesOf, killAfterSends } from '../support/crashSends';
import { deletePrefix } from '../support/redisKeys';
import { SEQ_ID, SEQ_STEP, seedSequence, writeSequenceFlows } from '../support/seedSequence';
import { observeRedis, partitionsUpTo } from '../support/settled';
import { spawnService, type SpawnedService, killAll } from '../support/spawnService';
import { TEST_PAGE } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { waitFor } from '../support/webhookClient';

const PARTITIONS = 16;
const USERS = 2_500;
const KILL_AFTER_SENDS = 400;
const TEXT = 'Your first tip, due for everyone at once';
const HOUR = 3600_000;

let fake: FakeGraphApi;
let env: Record<string, string | undefined>;
let store: Store | undefined;
const procs: SpawnedService[] = [];

beforeAll(async () => {
  fake = await startTestGraphApi();
  fake.fail.latency(5);
  env = crashEnv(PARTITIONS, fake, { FLOWS_DIR: writeSequenceFlows(TEXT) });
  store = await observeRedis(env.REDIS_KEY_PREFIX as string);
});

afterAll(async () => {
  await killAll(procs);
  await fake?.stop();
  await store?.close();
  if (env) await deletePrefix(env.REDIS_KEY_PREFIX as string);
  if (env?.FLOWS_DIR) rmSync(env.FLOWS_DIR, { recursive: true, force: true });
});

it('after kill -9 during a due burst and a restart, every subscriber gets the step once, duplicates only from the in-flight window', async () => {
  const observed = store as Store;
  const psids = Array.from({ length: USERS }, (_, u) => `sq-u${u}`);
  const now = Date.now();
  // A few seconds ahead: the first process is usually up by then, so the steps fall due together.
  const dueAt = now + 4_000;
  await seedSequence({ store: observed, pageId: TEST_PAGE, partitions: PARTITIONS, psids, now, dueAt });

  // Listening before the spawn: on a slow start the steps may fall due as soon as it holds the partitions.
  const { received, killedAt, unsubscribe } = killAfterSends(fake, TEXT, KILL_AFTER_SENDS, () => procs[0]);
  const first = await spawnService(env);
  procs.push(first);

  await waitFor(`${KILL_AFTER_SENDS} step sends at the fake (and the kill)`, killedAt, 120_000);
  expect(await first.exited()).toBeNull();
  expect(first.proc.signalCode).toBe('SIGKILL');
  const sentAtKill = received.size;
  expect(sentAtKill).toBeLessThan(USERS);

  const second = await spawnService(env);
  procs.push(second);
  const restartedMs = Date.now() - dueAt;

  const stats = () => (observed.broadcasts as BroadcastStore).stats(stepStatId(SEQ_ID, SEQ_STEP), partitionsUpTo(PARTITIONS));
  const progress = await waitFor(
    "every user's step decided and every send finished",
    async () => {
      const p = progressOf(await stats());
      return p.settled(USERS) ? p : undefined;
    },
    120_000,
  );
  const settledMs = Date.now() - dueAt;
  // The sequence went on: every user's next step is armed, 4 h after the one just decided.
  await waitFor('the next step armed for everyone', async () => {
    const pending = (await Promise.all(partitionsUpTo(PARTITIONS).map((p) => observed.timers.pending(p, '')))).flat();
    return pending.length === USERS && pending.every((t) => t.dueAt >= dueAt + 4 * HOUR) ? true : undefined;
  });
  unsubscribe();

  expect(progress).toMatchObject({ targeted: USERS, queued: USERS, sent: USERS, skippedBySender: 0, failed: 0 });
  expect(psids.filter((p) => !received.has(p)).slice(0, 5)).toEqual([]);
  expect(received.size).toBe(USERS); // nobody else
  const { duplicates, leasesLost, bound } = duplicatesOf(received, PARTITIONS, second);
  console.log(
    `sequenceCrash: ${USERS} subscribers due at once, killed at ${killedAt()!.sends} sends (${sentAtKill} users reached by its exit), ` +
      `duplicates ${duplicates} (bound ${bound}: ${DEFAULT_USERS_IN_FLIGHT} in flight × (${PARTITIONS} partitions + ${leasesLost} leases lost after the restart)), ` +
      `restarted ${restartedMs} ms after the due time, settled at ${settledMs} ms; counters ${JSON.stringify(progress)}`,
  );
  expect(duplicates).toBeLessThanOrEqual(bound);
  expect(second.proc.exitCode).toBeNull();
}, 240_000);
