import type { RateLimitStore, TakeOptions, TakeOutcome } from '../ports';
import { assertPauseMs, bucketLimits, pauseBucket, takeToken, type BucketState } from '../tokenBucket';

/**
 * Token buckets for one process (the memory store): the same arithmetic as the Redis script, on an
 * injected clock so tests move time instead of waiting. Buckets are few (one per Page and lane),
 * so they are kept for the life of the store.
 */
export class MemoryRateLimits implements RateLimitStore {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly now: () => number) {}

  async take(bucket: string, ratePerSec: number, burst: number, options?: TakeOptions): Promise<TakeOutcome> {
    const { outcome, next } = takeToken(this.buckets.get(bucket), bucketLimits(ratePerSec, burst, options), this.now());
    if (next) this.buckets.set(bucket, next);
    return outcome;
  }

  async pause(bucket: string, forMs: number): Promise<void> {
    assertPauseMs(forMs);
    const next = pauseBucket(this.buckets.get(bucket), forMs, this.now());
    if (next) this.buckets.set(bucket, next);
  }
}
