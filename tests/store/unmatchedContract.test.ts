import { createClient } from 'redis';
import { keysFor } from '../../src/store/keys';
import {
  UNMATCHED_RETENTION_DAYS,
  UNMATCHED_TEXT_MAX,
  UNMATCHED_TEXTS_PER_DAY,
  type Store,
  type UnmatchedStore,
} from '../../src/store/ports';
import { TEST_REDIS_URL } from '../support/testEnv';
import { storeAdapters } from '../support/storeAdapters';

/** The unmatched-text counts' promises, held against the memory store and a real Redis alike. */
const adapters = storeAdapters('unmatched');

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 10, 2, 10, 0, 0); // 2026-11-02 10:00 UTC

describe.each(adapters)('%s unmatched counts contract', (name, make) => {
  const redisOnly = name === 'redis' ? it : it.skip;
  let store: Store;
  let prefix: string | undefined;
  let cleanup: () => Promise<void>;
  const counts = (): UnmatchedStore => store.unmatched as UnmatchedStore;
  beforeEach(async () => ({ store, prefix, cleanup } = await make()));
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('counts each text per outcome and lists the most counted first, ties by text, with the last day seen', async () => {
    const c = counts();
    for (let i = 0; i < 3; i++) await c.count('do you ship to canada', 'fallback', D0);
    await c.count('do you ship to canada', 'suggested', D0 + DAY);
    await c.count('retrun policy', 'suggested', D0);
    await c.count('retrun policy', 'suggested', D0 + 2 * DAY);
    await c.count('gift cards', 'fallback', D0 + DAY);
    await c.count('are you open sunday', 'fallback', D0);
    expect(await c.top(D0 + 2 * DAY, 7, 10)).toEqual([
      { text: 'do you ship to canada', count: 4, fallback: 3, suggested: 1, lastDay: '2026-11-03' },
      { text: 'retrun policy', count: 2, fallback: 0, suggested: 2, lastDay: '2026-11-04' },
      { text: 'are you open sunday', count: 1, fallback: 1, suggested: 0, lastDay: '2026-11-02' },
      { text: 'gift cards', count: 1, fallback: 1, suggested: 0, lastDay: '2026-11-03' },
    ]);
    expect((await c.top(D0 + 2 * DAY, 7, 2)).map((r) => r.text)).toEqual(['do you ship to canada', 'retrun policy']);
    expect(await c.top(D0 + 2 * DAY, 7, 0)).toEqual([]);
  });

  it('looks only at the days asked for, ending with the day of now (UTC)', async () => {
    const c = counts();
    await c.count('old question', 'fallback', D0);
    await c.count('new question', 'fallback', D0 + 5 * DAY);
    expect((await c.top(D0 + 5 * DAY, 1, 10)).map((r) => r.text)).toEqual(['new question']);
    expect((await c.top(D0 + 5 * DAY, 5, 10)).map((r) => r.text)).toEqual(['new question']);
    expect((await c.top(D0 + 5 * DAY, 6, 10)).map((r) => r.text)).toEqual(['new question', 'old question']);
    // Before the counts' day nothing is seen either.
    expect(await c.top(D0 - DAY, 30, 10)).toEqual([]);
  });

  it(`keeps ${UNMATCHED_RETENTION_DAYS} days: a day older than that is in no answer, however many days are asked for`, async () => {
    const c = counts();
    await c.count('kept', 'fallback', D0);
    const lastDay = D0 + (UNMATCHED_RETENTION_DAYS - 1) * DAY;
    expect((await c.top(lastDay, 1000, 10)).map((r) => r.text)).toEqual(['kept']);
    await c.count('later', 'fallback', lastDay + DAY);
    expect((await c.top(lastDay + DAY, 1000, 10)).map((r) => r.text)).toEqual(['later']);
  });

  redisOnly('each day key expires on its own when its retention ends, and holds no user', async () => {
    await counts().count('shipping to canada', 'fallback', D0);
    const raw = createClient({ url: TEST_REDIS_URL });
    await raw.connect();
    try {
      const key = keysFor(prefix as string).unmatched('2026-11-02');
      expect(key).toContain('{insights}');
      const expireAt = await raw.pExpireTime(key);
      expect(expireAt).toBe(Date.UTC(2026, 10, 2) + UNMATCHED_RETENTION_DAYS * DAY);
      expect(await raw.zRangeWithScores(key, 0, -1)).toEqual([{ value: 'f:shipping to canada', score: 1 }]);
    } finally {
      await raw.quit();
    }
  });

  it(`keeps at most ${UNMATCHED_TEXTS_PER_DAY} texts a day: a new one replaces the least counted, frequent ones stay`, async () => {
    const c = counts();
    await c.count('frequent', 'fallback', D0);
    await c.count('frequent', 'fallback', D0);
    await Promise.all(Array.from({ length: UNMATCHED_TEXTS_PER_DAY + 10 }, (_, i) => c.count(`rare ${i}`, 'fallback', D0)));
    const all = await c.top(D0, 1, 5000);
    expect(all).toHaveLength(UNMATCHED_TEXTS_PER_DAY);
    expect(all[0]).toEqual({ text: 'frequent', count: 2, fallback: 2, suggested: 0, lastDay: '2026-11-02' });
    // Another day has its own room.
    await c.count('next day', 'fallback', D0 + DAY);
    expect((await c.top(D0 + DAY, 1, 10)).map((r) => r.text)).toEqual(['next day']);
  });

  it('masks email addresses and long numbers (phone, order, card numbers): they name someone', async () => {
    const c = counts();
    await c.count('where is order 104233', 'fallback', D0);
    await c.count('where is order #104234', 'fallback', D0);
    await c.count('call me on +1 (555) 123-4567 or bob.smith@example.com', 'fallback', D0);
    await c.count('size 42 in 2026', 'fallback', D0);
    expect((await c.top(D0, 1, 10)).map((r) => [r.text, r.count])).toEqual(
      [
        ['where is order #<number>', 1],
        ['where is order <number>', 1],
        ['call me on <number> or <email>', 1],
        ['size 42 in 2026', 1],
      ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
    );
  });

  it(`cuts a text to ${UNMATCHED_TEXT_MAX} characters (whole characters) and counts no empty text`, async () => {
    const c = counts();
    const long = `${'é'.repeat(UNMATCHED_TEXT_MAX - 1)}👟👟 and more`;
    await c.count(long, 'fallback', D0);
    await c.count('   ', 'fallback', D0);
    const [row, ...rest] = await c.top(D0, 1, 10);
    expect(rest).toEqual([]);
    expect(Array.from(row?.text ?? '')).toHaveLength(UNMATCHED_TEXT_MAX);
    expect(row?.text.endsWith('é👟')).toBe(true);
  });
});
