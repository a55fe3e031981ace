import pino from 'pino';
import { createClient } from 'redis';
import { keysFor } from '../../src/store/keys';
import type { Store, WebhookJob, WebhookQueue } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { TEST_REDIS_URL } from '../support/testEnv';
import { storeAdapters } from '../support/storeAdapters';

/** The outgoing-webhook queue's promises, held against the memory store and a real Redis alike. */
const silent = pino({ level: 'silent' });
const adapters = storeAdapters('webhooks');

const job = (id: string, createdAt = 1_000): WebhookJob => ({
  id,
  name: 'crm',
  url: 'https://crm.example.com/leads',
  body: JSON.stringify({ id, email: 'a@example.com' }),
  createdAt,
});
const LIMITS = { dedupeMs: 60_000, maxQueued: 100 };

describe.each(adapters)('%s webhook queue contract', (name, make) => {
  // Redis only: the memory store lives and dies with its process, and only hand edits of Redis make an unreadable job.
  const redisOnly = name === 'redis' ? it : it.skip;
  let store: Store;
  let prefix: string | undefined;
  let cleanup: () => Promise<void>;
  const queue = (): WebhookQueue => store.webhooks as WebhookQueue;
  beforeEach(async () => ({ store, prefix, cleanup } = await make()));
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('enqueues once per id: a second enqueue, queued or already delivered, is a duplicate within the window', async () => {
    expect(await queue().enqueue(job('a'), 1_000, LIMITS)).toBe('enqueued');
    expect(await queue().enqueue({ ...job('a'), body: '{"other":1}' }, 1_001, LIMITS)).toBe('duplicate');
    const [claimed] = await queue().claimDue(1_000, 10, 30_000, 'c1');
    expect(claimed).toEqual({ job: job('a'), tries: 1, claim: 'c1' });
    expect(await queue().complete('a', 'c1')).toBe(true);
    expect(await queue().size()).toBe(0);
    expect(await queue().enqueue(job('a'), 2_000, LIMITS)).toBe('duplicate');
    // After the window the id is new again.
    expect(await queue().enqueue(job('a'), 1_000 + LIMITS.dedupeMs, LIMITS)).toBe('enqueued');
  });

  it('refuses a job beyond maxQueued, writing nothing', async () => {
    const limits = { dedupeMs: 60_000, maxQueued: 2 };
    expect(await queue().enqueue(job('a'), 1_000, limits)).toBe('enqueued');
    expect(await queue().enqueue(job('b'), 1_000, limits)).toBe('enqueued');
    expect(await queue().enqueue(job('c'), 1_000, limits)).toBe('full');
    expect(await queue().size()).toBe(2);
    // Refused, not seen: once there is room it can be enqueued.
    const [first] = await queue().claimDue(1_000, 1, 30_000, 'c1');
    await queue().complete(first?.job.id ?? '', 'c1');
    expect(await queue().enqueue(job('c'), 1_000, limits)).toBe('enqueued');
  });

  it('claims due jobs in due order up to the limit; a claimed job is not due again until its lease ends', async () => {
    await queue().enqueue(job('b'), 1_000, LIMITS);
    await queue().enqueue(job('a'), 1_000, LIMITS);
    await queue().enqueue(job('c'), 2_000, LIMITS);
    expect(await queue().claimDue(999, 10, 5_000, 'x')).toEqual([]);
    const first = await queue().claimDue(2_000, 2, 5_000, 'c1');
    expect(first.map((c) => c.job.id)).toEqual(['a', 'b']);
    const second = await queue().claimDue(2_000, 10, 5_000, 'c2');
    expect(second.map((c) => c.job.id)).toEqual(['c']);
    expect(await queue().claimDue(6_999, 10, 5_000, 'c3')).toEqual([]);
    // The lease ends: another pump claims them again, the try counted again.
    const again = await queue().claimDue(7_000, 10, 5_000, 'c4');
    expect(again.map((c) => [c.job.id, c.tries, c.claim])).toEqual([
      ['a', 2, 'c4'],
      ['b', 2, 'c4'],
      ['c', 2, 'c4'],
    ]);
  });

  it('settles a job only under the claim that holds it', async () => {
    await queue().enqueue(job('a'), 1_000, LIMITS);
    await queue().claimDue(1_000, 10, 5_000, 'old');
    await queue().claimDue(6_000, 10, 5_000, 'new');
    // The pump whose lease ran out cannot complete, retry or drop what the new holder has.
    expect(await queue().complete('a', 'old')).toBe(false);
    expect(await queue().retry('a', 'old', 6_000)).toBe(false);
    expect(await queue().drop('a', 'old')).toBe(false);
    expect(await queue().complete('a', '')).toBe(false);
    expect(await queue().size()).toBe(1);
    expect(await queue().retry('a', 'new', 20_000)).toBe(true);
    // Retried: due at the new time, unclaimed (the old token no longer holds it), tries kept.
    expect(await queue().retry('a', 'new', 30_000)).toBe(false);
    expect(await queue().claimDue(19_999, 10, 5_000, 'z')).toEqual([]);
    const [again] = await queue().claimDue(20_000, 10, 5_000, 'third');
    expect(again?.tries).toBe(3);
    expect(await queue().drop('a', 'third')).toBe(true);
    expect(await queue().size()).toBe(0);
    expect(await queue().complete('a', 'third')).toBe(false);
    expect(await queue().claimDue(99_000, 10, 5_000, 'z')).toEqual([]);
  });

  redisOnly('keeps jobs across a reopen of the store (Redis)', async () => {
    await queue().enqueue(job('a'), 1_000, LIMITS);
    await store.close();
    store = await createRedisStore({
      url: TEST_REDIS_URL,
      keyPrefix: prefix as string,
      dedupeTtlSeconds: 1,
      timeoutMs: 5000,
      logger: silent,
    });
    expect((await queue().claimDue(1_000, 10, 5_000, 'c')).map((c) => c.job)).toEqual([job('a')]);
  });

  redisOnly('drops a job nobody can read instead of claiming it after every lease (Redis)', async () => {
    await queue().enqueue(job('a'), 1_000, LIMITS);
    await queue().enqueue(job('b'), 1_000, LIMITS);
    const raw = createClient({ url: TEST_REDIS_URL });
    await raw.connect();
    await raw.hSet(keysFor(prefix as string).webhookJobs(), 'a', 'not json');
    await raw.quit();
    expect((await queue().claimDue(1_000, 10, 5_000, 'c')).map((c) => c.job.id)).toEqual(['b']);
    expect(await queue().size()).toBe(1);
  });
});
