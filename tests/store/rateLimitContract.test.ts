import pino from 'pino';
import { createClient } from 'redis';
import { keysFor, pageRateBucket } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { Store, TakeOutcome } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { deletePrefix } from '../support/redisKeys';
import { TEST_REDIS_URL, uniquePrefix } from '../support/testEnv';

/**
 * The rate-limit port, against the memory store (a movable clock: `advance` moves it) and a real
 * Redis (the server's clock: `advance` waits). Rates are low enough that the few milliseconds
 * between Redis calls refill a negligible fraction of a token.
 */
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Harness {
  store: Store;
  advance: (ms: number) => Promise<void>;
  cleanup: () => Promise<void>;
  /** Redis only: the bucket's remaining TTL in ms. */
  ttlOf?: (bucket: string) => Promise<number>;
}
type Factory = () => Promise<Harness>;

const adapters: Array<[string, Factory]> = [
  [
    'memory',
    async () => {
      let offset = 0;
      const store = createMemoryStore({ dedupeTtlSeconds: 60, now: () => 1_800_000_000_000 + offset });
      return { store, advance: async (ms) => void (offset += ms), cleanup: async () => undefined };
    },
  ],
  [
    'redis',
    async () => {
      const keyPrefix = uniquePrefix('rate');
      const store = await createRedisStore({
        url: TEST_REDIS_URL,
        keyPrefix,
        dedupeTtlSeconds: 60,
        timeoutMs: 1500,
        logger: silent,
      });
      const ttlOf = async (bucket: string) => {
        const client = createClient({ url: TEST_REDIS_URL });
        await client.connect();
        try {
          return await client.pTTL(keysFor(keyPrefix).rateBucket(bucket));
        } finally {
          await client.quit();
        }
      };
      return { store, advance: sleep, cleanup: () => deletePrefix(keyPrefix), ttlOf };
    },
  ],
];

const grantedCount = (outcomes: TakeOutcome[]) => outcomes.filter((o) => o.granted).length;
const retryOf = (o: TakeOutcome | undefined): number => {
  if (!o || o.granted) throw new Error(`expected a refusal, got ${JSON.stringify(o)}`);
  return o.retryInMs;
};

describe.each(adapters)('%s rate limits', (name, make) => {
  let h: Harness;
  beforeEach(async () => {
    h = await make();
  });
  afterEach(async () => {
    await h.store.close();
    await h.cleanup();
  });

  const take = (bucket: string, rate: number, burst: number, priority: 'live' | 'bulk' = 'live') =>
    h.store.rateLimits.take(bucket, rate, burst, { priority });
  const takeN = async (n: number, bucket: string, rate: number, burst: number, priority: 'live' | 'bulk' = 'live') => {
    const outcomes: TakeOutcome[] = [];
    for (let i = 0; i < n; i++) outcomes.push(await take(bucket, rate, burst, priority));
    return outcomes;
  };

  it('grants a full burst, then refuses with the time until the next token', async () => {
    const bucket = pageRateBucket('p1', 'text');
    const outcomes = await takeN(6, bucket, 2, 5);
    expect(outcomes.slice(0, 5).every((o) => o.granted)).toBe(true);
    const retry = retryOf(outcomes[5]);
    // One token per 500 ms at 2/s; a little less if a few ms passed since the burst.
    expect(retry).toBeGreaterThan(400);
    expect(retry).toBeLessThanOrEqual(500);
  });

  it('refills at the configured rate, never beyond the burst', async () => {
    const bucket = pageRateBucket('p2', 'text');
    await takeN(5, bucket, 2, 5);
    await h.advance(600);
    expect(await take(bucket, 2, 5)).toEqual({ granted: true });
    expect((await take(bucket, 2, 5)).granted).toBe(false);
    const capped = pageRateBucket('p2b', 'text');
    await takeN(3, capped, 20, 3);
    await h.advance(300); // 6 tokens' worth of time, but the bucket holds 3
    expect(grantedCount(await takeN(4, capped, 20, 3))).toBe(3);
  });

  it('keeps buckets apart', async () => {
    await takeN(3, pageRateBucket('p3', 'text'), 1, 3);
    expect(await take(pageRateBucket('p3', 'media'), 1, 3)).toEqual({ granted: true });
    expect(await take(pageRateBucket('p4', 'text'), 1, 3)).toEqual({ granted: true });
    expect((await take(pageRateBucket('p3', 'text'), 1, 3)).granted).toBe(false);
  });

  it('honours a page-wide pause: refused until its end, then one probe and the normal rate', async () => {
    const bucket = pageRateBucket('p5', 'text');
    expect(await take(bucket, 5, 10)).toEqual({ granted: true });
    await h.store.rateLimits.pause(bucket, 400);
    const first = retryOf(await take(bucket, 5, 10));
    expect(first).toBeGreaterThan(300);
    expect(first).toBeLessThanOrEqual(400);
    // Bulk waits out the pause too.
    expect(retryOf(await take(bucket, 5, 10, 'bulk'))).toBeLessThanOrEqual(400);
    // A shorter pause does not shorten it.
    await h.store.rateLimits.pause(bucket, 50);
    expect(retryOf(await take(bucket, 5, 10))).toBeGreaterThan(300);
    await h.advance(450);
    expect(await take(bucket, 5, 10)).toEqual({ granted: true });
    // No burst after a back-off: the next token comes at the rate (5/s = 200 ms).
    const next = retryOf(await take(bucket, 5, 10));
    expect(next).toBeGreaterThan(100);
    expect(next).toBeLessThanOrEqual(200);
  });

  it('lets bulk traffic take only tokens above the live reserve', async () => {
    const bucket = pageRateBucket('p6', 'text');
    // burst 10, default reserve 20 %: bulk gets 8, live still gets the last 2.
    const bulk = await takeN(10, bucket, 1, 10, 'bulk');
    expect(grantedCount(bulk)).toBe(8);
    // Bulk is told to come back when a token above the reserve refills (~1 s at 1/s).
    const bulkRetry = retryOf(bulk[9]);
    expect(bulkRetry).toBeGreaterThan(900);
    expect(bulkRetry).toBeLessThanOrEqual(1000);
    expect(grantedCount(await takeN(3, bucket, 1, 10, 'live'))).toBe(2);
    // Drained below the reserve, bulk waits for the reserve to refill first (~3 s).
    expect(retryOf(await take(bucket, 1, 10, 'bulk'))).toBeGreaterThan(2500);
  });

  it('gives live replies the whole rate under contention', async () => {
    const bucket = pageRateBucket('p7', 'text');
    // 10/s, burst 5, reserve 1. Bulk drains to the reserve; then live and bulk compete for each refill.
    await takeN(5, bucket, 10, 5, 'bulk');
    let live = 0;
    let bulk = 0;
    for (let i = 0; i < 8; i++) {
      await h.advance(100); // one token refills per step
      if ((await take(bucket, 10, 5, 'live')).granted) live++;
      if ((await take(bucket, 10, 5, 'bulk')).granted) bulk++;
    }
    expect(live).toBe(8);
    // Exactly 0 on the memory clock; on Redis late timers refill a little extra, which bulk may take.
    expect(bulk).toBeLessThan(3);
  });

  it('honours a custom reserve and never reserves the whole bucket', async () => {
    const bucket = pageRateBucket('p8', 'text');
    const bulk = (reserve: number, burst: number) =>
      h.store.rateLimits.take(bucket, 1, burst, { priority: 'bulk', bulkReserve: reserve });
    expect((await bulk(0.5, 4)).granted).toBe(true);
    expect((await bulk(0.5, 4)).granted).toBe(true);
    expect((await bulk(0.5, 4)).granted).toBe(false);
    const tiny = pageRateBucket('p9', 'text');
    expect(await h.store.rateLimits.take(tiny, 1, 1, { priority: 'bulk', bulkReserve: 0.9 })).toEqual({ granted: true });
  });

  it('rejects nonsense limits before touching the bucket', async () => {
    const bucket = pageRateBucket('p10', 'text');
    await expect(take(bucket, 0, 5)).rejects.toThrow(/ratePerSec/);
    await expect(take(bucket, 5, 0.5)).rejects.toThrow(/burst/);
    await expect(h.store.rateLimits.take(bucket, 5, 5, { priority: 'bulk', bulkReserve: 1 })).rejects.toThrow(/bulkReserve/);
    await expect(h.store.rateLimits.pause(bucket, -1)).rejects.toThrow(/pause/);
  });

  // Memory keeps its few buckets for the life of the process.
  (name === 'redis' ? it : it.skip)('lets an idle bucket expire once it would be full again', async () => {
    if (!h.ttlOf) throw new Error('redis harness without ttlOf');
    const bucket = pageRateBucket('p11', 'text');
    await take(bucket, 300, 300);
    const ttl = await h.ttlOf(bucket);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
  });
});
