/**
 * Several Pages' stores on one command connection (#18: RedisStoreOptions.connection). Their keys
 * differ by prefix only, so they share it; each store's blocking inbox read keeps a socket of its
 * own (a read blocked on one Page must not hold another's commands), and closing a store leaves the
 * shared connection to its opener.
 */
import pino from 'pino';
import type { OwnedStore } from '../../src/store/ports';
import { RedisConnection } from '../../src/store/redis/redisConnection';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { textOf, textRecord } from '../support/inboxRecords';
import { deletePrefix } from '../support/redisKeys';
import { TEST_REDIS_URL, uniquePrefix } from '../support/testEnv';

const logger = pino({ level: 'silent' });
const prefixes = [uniquePrefix('shared-a'), uniquePrefix('shared-b')];
let shared: RedisConnection;
let stores: OwnedStore[];

beforeAll(async () => {
  shared = await RedisConnection.open(TEST_REDIS_URL, 5_000, logger, 'pages');
  stores = await Promise.all(
    prefixes.map((keyPrefix) =>
      createRedisStore({ url: TEST_REDIS_URL, keyPrefix, dedupeTtlSeconds: 3600, timeoutMs: 5_000, logger, connection: shared }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await shared.close();
  await Promise.all(prefixes.map((p) => deletePrefix(p)));
});

const texts = (reads: Awaited<ReturnType<OwnedStore['inbox']['readNew']>>) =>
  reads.flatMap((r) => (r.type === 'item' ? [textOf(r.record)] : []));

it("keeps each store's keys under its own prefix on the one connection", async () => {
  const [a, b] = stores as [OwnedStore, OwnedStore];
  await a.inbox.append([{ partition: 0, dedupeKey: 'k1', record: textRecord('u', 1, 'for a') }]);
  await b.inbox.append([{ partition: 0, dedupeKey: 'k1', record: textRecord('u', 1, 'for b') }]);
  expect(texts(await a.inbox.readNew(new Map([[0, '0-0']]), 10, 0))).toEqual(['for a']);
  expect(texts(await b.inbox.readNew(new Map([[0, '0-0']]), 10, 0))).toEqual(['for b']);
  const [ownerA, ownerB] = await Promise.all([
    a.claimOwner('111', { requireEmpty: false }),
    b.claimOwner('222', { requireEmpty: false }),
  ]);
  expect([ownerA.ok, ownerB.ok]).toEqual([true, true]);
});

it("a blocked read on one store does not hold the other's commands", async () => {
  const [a, b] = stores as [OwnedStore, OwnedStore];
  // A blocks on an empty partition; B's append and A's own commands still go through the shared connection.
  const blocked = a.inbox.readNew(new Map([[3, '$']]), 10, 30_000);
  await b.inbox.append([{ partition: 3, dedupeKey: 'k2', record: textRecord('u', 2, 'b while a waits') }]);
  expect(await a.inbox.cursor(3)).toBe('0-0');
  await a.inbox.append([{ partition: 3, dedupeKey: 'k3', record: textRecord('u', 3, 'wakes a') }]);
  expect(texts(await blocked)).toEqual(['wakes a']);
});

it('closing a store leaves the shared connection to its opener', async () => {
  const extra = await createRedisStore({
    url: TEST_REDIS_URL,
    keyPrefix: `${prefixes[0]}:extra`,
    dedupeTtlSeconds: 3600,
    timeoutMs: 5_000,
    logger,
    connection: shared,
  });
  await extra.ping();
  await extra.close();
  // Closed, it says so (a stopped Page is not ready), though the connection it used still answers.
  await expect(extra.ping()).rejects.toThrow('closed');
  const b = (stores as OwnedStore[])[1] as OwnedStore;
  await expect(b.ping()).resolves.toBeUndefined();
  expect(await shared.send('ping', ['PING'])).toBe('PONG');
});
