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
 * Redis (the server's clock: `advance` waits). On Redis time also passes between calls, and on a
 * busy machine a lot of it: so every timing bound allows exactly the time that was measured to
 * pass (`timed`), and where a test is about counts rather than time the rate is so low that
 * nothing can refill while it runs. On the memory clock the bounds are exact.
 */
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Harness {
  store: Store;
  advance: (ms: number) => Promise<void>;
  /** The store's clock, for intervals only (Redis: the machine's clock, which the server's runs with). */
  now: () => number;
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
      return { store, advance: async (ms) => void (offset += ms), now: () => offset, cleanup: async () => undefined };
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
      return { store, advance: sleep, now: () => performance.now(), cleanup: () => deletePrefix(keyPrefix), ttlOf };
    },
  ],
];

const grantedCount = (outcomes: TakeOutcome[]) => outcomes.filter((o) => o.granted).length;
/** Whole tokens a bucket refilling at `ratePerSec` can gain in `ms`. */
const refillIn = (ms: number, ratePerSec: number) => Math.floor((ms * ratePerSec) / 1000);
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
  /** `f`'s result, and at least as much store-clock time as passed while it ran (+1 ms for rounding). */
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const start = h.now();
    const value = await f();
    return [value, h.now() - start + 1];
  };

  it('grants a full burst, then refuses with the time until the next token', async () => {
    const bucket = pageRateBucket('p1', 'text');
    const [outcomes, elapsed] = await timed(() => takeN(6, bucket, 0.5, 5));
    expect(outcomes.slice(0, 5).every((o) => o.granted)).toBe(true);
    const retry = retryOf(outcomes[5]);
    // One token per 2 s at 0.5/s, less whatever refilled since the burst began.
    expect(retry).toBeGreaterThanOrEqual(2000 - elapsed);
    expect(retry).toBeLessThanOrEqual(2000);
  });

  it('refills at the configured rate, never beyond the burst', async () => {
    const bucket = pageRateBucket('p2', 'text');
    // Drained, then 600 ms at 2/s: 1.2 tokens, so one grant (more only if more time passed).
    const [granted, elapsed] = await timed(async () => {
      await takeN(5, bucket, 2, 5);
      await h.advance(600);
      return grantedCount(await takeN(5, bucket, 2, 5));
    });
    expect(granted).toBeGreaterThanOrEqual(1);
    expect(granted).toBeLessThanOrEqual(refillIn(elapsed, 2));
    const capped = pageRateBucket('p2b', 'text');
    await takeN(3, capped, 20, 3);
    await h.advance(300); // 6 tokens' worth of time, but the bucket holds 3
    const [cappedGrants, taking] = await timed(async () => grantedCount(await takeN(6, capped, 20, 3)));
    expect(cappedGrants).toBeGreaterThanOrEqual(3);
    expect(cappedGrants).toBeLessThanOrEqual(3 + refillIn(taking, 20));
  });

  it('keeps buckets apart', async () => {
    // One token per 100 s: nothing refills while the test runs, however slowly.
    await takeN(3, pageRateBucket('p3', 'text'), 0.01, 3);
    expect(await take(pageRateBucket('p3', 'media'), 0.01, 3)).toEqual({ granted: true, count: 1 });
    expect(await take(pageRateBucket('p4', 'text'), 0.01, 3)).toEqual({ granted: true, count: 1 });
    expect((await take(pageRateBucket('p3', 'text'), 0.01, 3)).granted).toBe(false);
  });

  it('honours a page-wide pause: refused until its end, then one probe and the normal rate', async () => {
    const PAUSE = 1000;
    const bucket = pageRateBucket('p5', 'text');
    expect(await take(bucket, 5, 10)).toEqual({ granted: true, count: 1 });
    const pausedAt = h.now();
    /** Time since the pause began, at least (+1 ms for rounding). */
    const sincePause = () => h.now() - pausedAt + 1;
    await h.store.rateLimits.pause(bucket, PAUSE);
    const first = retryOf(await take(bucket, 5, 10));
    expect(first).toBeGreaterThanOrEqual(PAUSE - sincePause());
    expect(first).toBeLessThanOrEqual(PAUSE);
    // Bulk waits out the pause too.
    expect(retryOf(await take(bucket, 5, 10, 'bulk'))).toBeLessThanOrEqual(PAUSE);
    // A shorter pause does not shorten it.
    await h.store.rateLimits.pause(bucket, 50);
    expect(retryOf(await take(bucket, 5, 10))).toBeGreaterThanOrEqual(PAUSE - sincePause());
    await h.advance(PAUSE + 50);
    // No burst after a back-off (the bucket holds 10): one probe token, plus only what refilled at
    // 5/s since the pause ended.
    const after = await takeN(10, bucket, 5, 10);
    const grants = grantedCount(after);
    expect(after[0]).toEqual({ granted: true, count: 1 });
    expect(grants).toBeLessThanOrEqual(1 + refillIn(sincePause() - PAUSE, 5));
    // And the next token comes at the rate (5/s: within 200 ms).
    expect(retryOf(after.find((o) => !o.granted))).toBeLessThanOrEqual(200);
  });

  it('lets bulk traffic take only tokens above the live reserve', async () => {
    const bucket = pageRateBucket('p6', 'text');
    // burst 10, default reserve 20 %: bulk gets 8, live still gets the last 2. One token per 10 s:
    // no whole token refills while the test runs, and the fraction that does only shortens the waits.
    const began = h.now();
    const sinceBegan = () => h.now() - began + 1;
    const bulk = await takeN(10, bucket, 0.1, 10, 'bulk');
    expect(grantedCount(bulk)).toBe(8);
    // Bulk is told to come back when a token above the reserve refills (10 s at 0.1/s).
    const bulkRetry = retryOf(bulk[9]);
    expect(bulkRetry).toBeGreaterThanOrEqual(10_000 - sinceBegan());
    expect(bulkRetry).toBeLessThanOrEqual(10_000);
    expect(grantedCount(await takeN(3, bucket, 0.1, 10, 'live'))).toBe(2);
    // Drained below the reserve, bulk waits for the reserve to refill first (3 tokens: 30 s).
    const drainedRetry = retryOf(await take(bucket, 0.1, 10, 'bulk'));
    expect(drainedRetry).toBeGreaterThanOrEqual(30_000 - sinceBegan());
    expect(drainedRetry).toBeLessThanOrEqual(30_000);
  });

  it('gives live replies the whole rate under contention', async () => {
    const bucket = pageRateBucket('p7', 'text');
    // 10/s, burst 5, reserve 1. Bulk drains to the reserve; then live and bulk compete for each refill.
    let live = 0;
    let bulk = 0;
    const [, elapsed] = await timed(async () => {
      await takeN(5, bucket, 10, 5, 'bulk');
      for (let i = 0; i < 8; i++) {
        await h.advance(100); // one token refills per step (more if the step runs late)
        if ((await take(bucket, 10, 5, 'live')).granted) live++;
        if ((await take(bucket, 10, 5, 'bulk')).granted) bulk++;
      }
    });
    expect(live).toBe(8);
    // Bulk gets only what live leaves over: the reserve token and whatever refilled beyond one token
    // per step (on Redis, a step that runs late refills a little extra). Exactly 0 on the memory clock.
    expect(bulk).toBeLessThanOrEqual(1 + refillIn(elapsed, 10) - live);
    if (name === 'memory') expect(bulk).toBe(0);
  });

  it('honours a custom reserve and never reserves the whole bucket', async () => {
    const bucket = pageRateBucket('p8', 'text');
    // One token per 100 s: nothing refills while the test runs.
    const bulk = (reserve: number, burst: number) =>
      h.store.rateLimits.take(bucket, 0.01, burst, { priority: 'bulk', bulkReserve: reserve });
    expect((await bulk(0.5, 4)).granted).toBe(true);
    expect((await bulk(0.5, 4)).granted).toBe(true);
    expect((await bulk(0.5, 4)).granted).toBe(false);
    const tiny = pageRateBucket('p9', 'text');
    expect(await h.store.rateLimits.take(tiny, 1, 1, { priority: 'bulk', bulkReserve: 0.9 })).toEqual({
      granted: true,
      count: 1,
    });
  });

  it('takes several tokens in one call, as many as the bucket holds above the reserve', async () => {
    const bucket = pageRateBucket('p12', 'text');
    // One token per 100 s: nothing refills while the test runs. Burst 10, bulk reserve 2.
    const takeUpTo = (count: number, priority: 'live' | 'bulk') => h.store.rateLimits.take(bucket, 0.01, 10, { priority, count });
    expect(await takeUpTo(4, 'live')).toEqual({ granted: true, count: 4 }); // 6 left
    expect(await takeUpTo(9, 'bulk')).toEqual({ granted: true, count: 4 }); // down to the reserve
    expect((await takeUpTo(3, 'bulk')).granted).toBe(false);
    expect(await takeUpTo(5, 'live')).toEqual({ granted: true, count: 2 }); // live spends the reserve
    expect((await takeUpTo(1, 'live')).granted).toBe(false);
    await expect(takeUpTo(0, 'live')).rejects.toThrow(/count/);
    await expect(takeUpTo(1.5, 'live')).rejects.toThrow(/count/);
  });

  it('grants cosmetic takes only while the bucket is at least half full', async () => {
    const bucket = pageRateBucket('p13', 'text');
    const cosmetic = () => h.store.rateLimits.take(bucket, 0.01, 10, { priority: 'cosmetic' });
    // Burst 10, cosmetic reserve 5: five cosmetic tokens, then only live and bulk traffic is served.
    expect(grantedCount(await Promise.all([1, 2, 3, 4, 5, 6].map(() => cosmetic())))).toBe(5);
    expect((await take(bucket, 0.01, 10, 'bulk')).granted).toBe(true);
    expect((await cosmetic()).granted).toBe(false);
    expect((await take(bucket, 0.01, 10, 'live')).granted).toBe(true);
    // With a burst of 1 a cosmetic could only ever take the token a reply needs: never granted.
    const single = pageRateBucket('p14', 'text');
    expect((await h.store.rateLimits.take(single, 0.01, 1, { priority: 'cosmetic' })).granted).toBe(false);
    expect((await take(single, 0.01, 1, 'live')).granted).toBe(true);
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
    // Set to the time a full refill takes (1 s) plus 1 s, and counting down since.
    const [ttl, elapsed] = await timed(async () => {
      await take(bucket, 300, 300);
      return h.ttlOf!(bucket);
    });
    expect(ttl).toBeGreaterThanOrEqual(2000 - elapsed);
    expect(ttl).toBeLessThanOrEqual(2000);
  });
});
