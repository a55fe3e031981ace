import { PageTokens } from '../../src/runtime/pageTokens';
import { MemoryRateLimits } from '../../src/store/memory/memoryRateLimits';
import type { RateLimitStore, TakeOptions } from '../../src/store/ports';

/** A memory bucket on a clock the test moves, and every take the store was asked for. */
function rig(rates = { text: 10, media: 1, burst: 10 }) {
  let now = 0;
  const memory = new MemoryRateLimits(() => now);
  const takes: Array<{ bucket: string; options: TakeOptions | undefined }> = [];
  const store: RateLimitStore = {
    take: (bucket, rate, burst, options) => {
      takes.push({ bucket, options });
      return memory.take(bucket, rate, burst, options);
    },
    pause: (bucket, ms) => memory.pause(bucket, ms),
  };
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
    now += ms;
  };
  return { tokens: new PageTokens(store, 'page', rates, sleep), takes, slept, advance: (ms: number) => (now += ms) };
}

it('senders asking at the same moment share one store call, and each gets its own token', async () => {
  const r = rig();
  const waits = await Promise.all(Array.from({ length: 6 }, () => r.tokens.wait('text', 'live')));
  expect(waits).toEqual([0, 0, 0, 0, 0, 0]);
  expect(r.takes.map((t) => t.options?.count)).toEqual([1, 5]); // the first went alone; the rest waited for it
  expect(r.takes.every((t) => t.bucket === 'page:page:text')).toBe(true);
});

it('beyond what the bucket holds, the rest wait about one refill and ask again', async () => {
  const r = rig({ text: 10, media: 1, burst: 3 });
  const waits = await Promise.all(Array.from({ length: 5 }, () => r.tokens.wait('text', 'live')));
  expect(waits).toEqual([0, 0, 0, 0, 0]);
  expect(r.slept.length).toBeGreaterThan(0);
  expect(Math.max(...r.slept)).toBeLessThanOrEqual(100); // one token refills in 100 ms at 10/s
});

it('a long pause goes back to the caller instead of being waited out here', async () => {
  const r = rig();
  await r.tokens.wait('text', 'live');
  const store = (r.tokens as unknown as { store: RateLimitStore }).store;
  await store.pause('page:page:text', 5000);
  expect(await r.tokens.wait('text', 'live')).toBe(5000);
  expect(r.slept).toEqual([]);
});

it('cosmetics go only while the bucket is not under pressure, and never wait', async () => {
  const r = rig({ text: 10, media: 1, burst: 10 });
  expect(await r.tokens.tryCosmetic('text')).toBe(true); // a quiet Page: 10 tokens
  await Promise.all(Array.from({ length: 5 }, () => r.tokens.wait('text', 'live'))); // 4 left
  expect(await r.tokens.tryCosmetic('text')).toBe(false);
  expect(r.slept).toEqual([]);
  r.advance(300); // +3 tokens: 7, more than half the burst
  expect(await r.tokens.tryCosmetic('text')).toBe(true);
});

it('a store failure reaches every sender of the batch', async () => {
  const failing: RateLimitStore = {
    take: () => Promise.reject(new Error('store down')),
    pause: () => Promise.resolve(),
  };
  const tokens = new PageTokens(failing, 'page', { text: 10, media: 1, burst: 10 }, async () => {});
  const outcomes = await Promise.allSettled([tokens.wait('text', 'live'), tokens.wait('text', 'live')]);
  expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
});
