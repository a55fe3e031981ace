import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import { GraphApiError } from '../../src/messenger/graphErrors';
import { onDeliveryError, type RateLimitStreak } from '../../src/runtime/senderErrors';
import type { Delivery, SenderOptions } from '../../src/runtime/senderOptions';
import { createMemoryStore } from '../../src/store/memory/memoryStore';

const rateLimited = () =>
  new GraphApiError({ httpStatus: 400, graphCode: 613, graphMessage: 'too many', endpoint: 'POST /me/messages' });
const entry: Delivery = {
  id: '2-0',
  userKey: 'p:u',
  itemId: '1-0',
  effect: { type: 'send', message: { text: 'x' }, messaging: 'RESPONSE', promotional: false },
};

afterEach(() => jest.restoreAllMocks());

it('613s to calls that were in flight together pause the Page once, not once each', async () => {
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const pauses: number[] = [];
  const rateLimits = { ...store.rateLimits, take: store.rateLimits.take.bind(store.rateLimits) };
  rateLimits.pause = async (bucket: string, ms: number) => {
    pauses.push(ms);
    await store.rateLimits.pause(bucket, ms);
  };
  const o = {
    store: { ...store, rateLimits },
    pageId: 'p',
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    now: Date.now,
  } as unknown as SenderOptions;
  const streak: RateLimitStreak = { count: 0 };
  // The pause is jittered: at the top of its range, so the three answers fall inside it even on a
  // loaded machine (a jitter near 0 let the second answer come after the pause: CI saw that once).
  jest.spyOn(Math, 'random').mockReturnValue(0.999);
  const first = await onDeliveryError(o, streak, 0, entry, rateLimited());
  const second = await onDeliveryError(o, streak, 0, entry, rateLimited());
  const third = await onDeliveryError(o, streak, 0, entry, rateLimited());
  expect(streak.count).toBe(1);
  expect(pauses).toHaveLength(2); // both lanes of the Page (text, media), once
  expect(first).toMatchObject({ type: 'retry', why: 'rate_limited' });
  // The later answers wait out the same pause (what is left of it), without lengthening it.
  for (const later of [second, third]) {
    expect(later.type).toBe('retry');
    expect(later.type === 'retry' ? (later.ms ?? 0) : 0).toBeLessThanOrEqual(first.type === 'retry' ? (first.ms ?? 0) : 0);
  }
  // A 613 after the pause is a new one: it escalates.
  streak.pausedUntil = Date.now() - 1;
  await onDeliveryError(o, streak, 0, entry, rateLimited());
  expect(streak.count).toBe(2);
  await store.close();
});
