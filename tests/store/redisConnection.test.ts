/**
 * The Redis adapter's failure rules at its boundary: closing never waits for a Redis that is gone,
 * and error replies that only say "not now" (OOM, READONLY, LOADING…) are store outages, which the
 * runtime retries, not errors of the item at hand. Each case has its own redis-server: they stop
 * it, fill its memory or make it a replica, which would disturb the tests sharing the suite's Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createClient, ErrorReply } from 'redis';
import { StoreUnavailableError } from '../../src/errors';
import { startService } from '../../src/server';
import { keysFor } from '../../src/store/keys';
import { isTransientReply } from '../../src/store/redis/redisConnection';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { hiAppend } from '../support/inboxRecords';
import { freePort, startPrivateRedis, type PrivateRedis } from '../support/privateRedis';
import { stopWhileRedisDown, waitForStoreDown } from '../support/storeOutage';
import { testConfig } from '../support/testEnv';
import { waitFor } from '../support/webhookClient';

const PREFIX = 't-conn';
const silent = pino({ level: 'silent' });

let dir: string;
const servers: PrivateRedis[] = [];
async function privateRedis(): Promise<PrivateRedis> {
  const redis = await startPrivateRedis(await freePort(), { dir });
  servers.push(redis);
  return redis;
}
const openStore = (url: string) =>
  createRedisStore({ url, keyPrefix: PREFIX, dedupeTtlSeconds: 60, timeoutMs: 1500, logger: silent });

/** A raw client for what the store never does itself (CONFIG, REPLICAOF, a key of the wrong type). */
async function admin(url: string, commands: string[][]): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for (const c of commands) await client.sendCommand(c);
  } finally {
    client.destroy();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-conn-redis-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('close', () => {
  it('resolves while Redis is down (the client is reconnecting), for both connections', async () => {
    const redis = await privateRedis();
    const store = await openStore(redis.url);
    // A read opens the inbox's own blocking connection: both must close.
    expect(await store.inbox.readNew(new Map([[0, '0-0']]), 10, 10)).toEqual([]);
    await redis.kill();
    await waitForStoreDown('the store to notice Redis is gone', store);
    // Before: quit() on a reconnecting client waited for ever, and so did service.stop().
    await store.close();
  }, 30_000);

  it('Redis down before the first read: the read fails within its deadline, close resolves, and reads work once Redis is back', async () => {
    const redis = await privateRedis();
    const store = await openStore(redis.url);
    await redis.kill();
    // Before: the read's own connection waited for Redis for ever, and so did the read and close().
    const started = Date.now();
    const failed = await store.inbox.readNew(new Map([[0, '0-0']]), 10, 100).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
    const back = await startPrivateRedis(redis.port, { dir });
    servers.push(back);
    await waitFor('reads to work again', () =>
      store.inbox.readNew(new Map([[0, '0-0']]), 10, 10).then(
        (items) => items,
        () => undefined,
      ),
    );
    await store.close();
    const again = await openStore(back.url);
    await redis.kill();
    await back.kill();
    const second = again.inbox.readNew(new Map([[0, '0-0']]), 10, 100).catch((err: unknown) => err);
    await again.close();
    expect(await second).toBeInstanceOf(StoreUnavailableError);
  }, 30_000);

  it('a whole service on that Redis stops while Redis is down (worker, leases, both connections)', async () => {
    const redis = await privateRedis();
    const service = await startService(testConfig({ REDIS_URL: redis.url }));
    await stopWhileRedisDown(service, () => redis.kill());
  }, 60_000);

  it('resolves at once after a clean close, and a second close is harmless', async () => {
    const redis = await privateRedis();
    const store = await openStore(redis.url);
    await store.states.markUnreachable(0, 'u', 1);
    await store.close();
    await store.close();
  });
});

describe('error replies that mean "not now" are outages', () => {
  it('OOM (maxmemory reached under noeviction): scripts and plain commands raise StoreUnavailableError; fine again after', async () => {
    const redis = await privateRedis();
    const store = await openStore(redis.url);
    try {
      await admin(redis.url, [
        ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
        ['CONFIG', 'SET', 'maxmemory', '1'],
      ]);
      const script = await store.inbox.append([hiAppend('1', 1)]).catch((err: unknown) => err);
      expect(script).toBeInstanceOf(StoreUnavailableError);
      expect((script as Error).message).toContain('(Redis answered OOM)');
      expect((script as Error).cause).toBeInstanceOf(ErrorReply);
      const plain = await store.states.markUnreachable(0, 'u', 1).catch((err: unknown) => err);
      expect(plain).toBeInstanceOf(StoreUnavailableError);
      await admin(redis.url, [['CONFIG', 'SET', 'maxmemory', '0']]);
      expect(await store.inbox.append([hiAppend('1', 1)])).toEqual({ appended: 1, duplicates: 0 });
    } finally {
      await store.close();
    }
  });

  it('READONLY (the store is a replica, as after a failover) raises StoreUnavailableError', async () => {
    const [primary, replica] = [await privateRedis(), await privateRedis()];
    await admin(replica.url, [['REPLICAOF', '127.0.0.1', String(primary.port)]]);
    const store = await openStore(replica.url);
    try {
      const err = await store.inbox.append([hiAppend('1', 1)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toContain('(Redis answered READONLY)');
    } finally {
      await store.close();
    }
  });

  it('any other error reply is an answer, not an outage: passed on as it is', async () => {
    const redis = await privateRedis();
    await admin(redis.url, [['HSET', keysFor(PREFIX).cursor(0), 'not', 'a string']]);
    const store = await openStore(redis.url);
    try {
      const err = await store.inbox.cursor(0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ErrorReply);
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/^WRONGTYPE/);
    } finally {
      await store.close();
    }
  });

  it.each([
    ["READONLY You can't write against a read only replica.", true],
    ['LOADING Redis is loading the dataset in memory', true],
    ["OOM command not allowed when used memory > 'maxmemory'. script: abc, on @user_script:1.", true],
    ["MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", true],
    ['CLUSTERDOWN The cluster is down', true],
    ['TRYAGAIN Multiple keys request during rehashing of slot', true],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', true],
    ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', true],
    ['NOREPLICAS Not enough good replicas to write.', true],
    ['BUSYGROUP Consumer Group name already exists', false],
    ['NOSCRIPT No matching script. Please use EVAL.', false],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', false],
    ['ERR unknown command', false],
  ])('classifies %j as transient: %s', (message, transient) => {
    expect(isTransientReply(new ErrorReply(message))).toBe(transient);
  });

  it('a plain Error that happens to start with a transient word is not a reply', () => {
    expect(isTransientReply(new Error('OOM'))).toBe(false);
  });
});
