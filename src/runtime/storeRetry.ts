import { TalkshopError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { backoffMs } from '../messenger/graphErrors';

/**
 * The store did not answer in time or could not be reached (the Redis adapter turns timeouts and
 * connection failures into StoreUnavailableError). Such an error says nothing about the entry in
 * hand, so it is a reason to wait and try again, never to drop or give up on it.
 */
export const isStoreUnavailable = (err: unknown): boolean => err instanceof TalkshopError && err.code === 'STORE_UNAVAILABLE';

/** Backoff between store retries: at least 20 ms, plus full jitter under a ceiling of 100 ms doubling to 2 s (a store outage is usually short). */
export const storeBackoffMs = (attempt: number): number => 20 + backoffMs(attempt, Math.random, { baseMs: 100, capMs: 2000 });

export interface StoreRetryContext {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly sleep: (ms: number) => Promise<void>;
  /** Retrying stops (undefined is returned) once this turns false: the lease is gone or the worker stops. */
  readonly active: () => boolean;
  readonly partition: number;
}

/**
 * Runs a store call until it answers, retrying only while the store is unavailable (any other
 * error is passed on), with capped exponential backoff and jitter. Resolves undefined when the
 * partition was given up meanwhile: the caller stops, and the next lease holder starts from what
 * the store recorded.
 */
export async function retryStore<T>(what: string, call: () => Promise<T>, ctx: StoreRetryContext): Promise<T | undefined> {
  // The first try is made whatever active() says: a partition being handed over gracefully is
  // inactive while its lease is still held, and the ack of a send that was in flight must still be
  // recorded then (the store fences the call with the lease token anyway).
  for (let attempt = 1; attempt === 1 || ctx.active(); attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err;
      const ms = storeBackoffMs(attempt);
      ctx.metrics.storeRetries.inc({ operation: what });
      // The first failure and then every 10th, so an outage is visible without flooding the log.
      if (attempt % 10 === 1) ctx.logger.warn({ err, partition: ctx.partition, attempt, ms }, `${what} failed; retrying`);
      await ctx.sleep(ms);
    }
  }
  return undefined;
}
