import pino from 'pino';
import type { Store } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { TEST_REDIS_URL } from './testEnv';
import { waitFor } from './webhookClient';

export const partitionsUpTo = (count: number): number[] => Array.from({ length: count }, (_, p) => p);

/**
 * True when nothing is in flight in the store: every inbox item applied and every outbox entry
 * recorded as done (so every send it made has reached the Graph API). Effects that write into
 * an inbox (sender reports, staff notices) append before their entry is acked, so the inboxes are
 * read on both sides of the outbox check: if they were empty and no cursor moved across the
 * whole check, nothing was appended or applied meanwhile. Timers that are not due (tests move an
 * injected clock) are not in flight.
 *
 * This is what "nothing more will happen" means for a test; waiting for it replaces sleeping
 * "long enough" before asserting that something did not happen.
 */
export async function isSettled(store: Store, partitions: readonly number[]): Promise<boolean> {
  const inboxes = async () => ({
    pending: await store.inbox.pendingCounts(partitions),
    cursors: await Promise.all(partitions.map((p) => store.inbox.cursor(p))),
  });
  const before = await inboxes();
  if (before.pending.some((n) => n > 0)) return false;
  const outboxes = await Promise.all(partitions.map((p) => store.states.readOutbox(p, '0-0', 1)));
  if (outboxes.some((entries) => entries.length > 0)) return false;
  const after = await inboxes();
  return after.pending.every((n) => n === 0) && after.cursors.every((c, i) => c === before.cursors[i]);
}

/** Waits until `isSettled`. */
export async function settled(store: Store, partitions: readonly number[], what = 'every item applied and effect delivered') {
  await waitFor(what, async () => ((await isSettled(store, partitions)) ? true : undefined));
}

/** A store on the test Redis under a service's key prefix, to observe services running in other processes. */
export const observeRedis = (keyPrefix: string): Promise<Store> =>
  createRedisStore({
    url: TEST_REDIS_URL,
    keyPrefix,
    dedupeTtlSeconds: 60,
    timeoutMs: 10_000,
    logger: pino({ level: 'silent' }),
  });
