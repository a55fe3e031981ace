import type { TakeOptions, TakeOutcome } from './ports';

/**
 * The token-bucket arithmetic both adapters share: the memory adapter runs these functions, and
 * lua/rateLimit.lua is the same arithmetic line by line (keep them in step; one contract suite,
 * tests/store/rateLimitContract.test.ts, holds both to it).
 */

/** Share of a bucket kept for live replies when bulk traffic asks (see TakeOptions). */
export const DEFAULT_BULK_RESERVE = 0.2;
/**
 * Share of a bucket kept from cosmetic calls (seen markers, typing): they go out only while the
 * bucket holds more than this, i.e. while the Page is not near its rate, and are dropped otherwise.
 * Never granted with a burst of 1 (see bucketLimits).
 */
export const COSMETIC_RESERVE = 0.5;
/** Most tokens one take may ask for. */
export const MAX_TAKE_COUNT = 100;

/** A bucket that expires (or was never used) is full; this is its stored form otherwise. */
export interface BucketState {
  /** Tokens at `at` (fractional). */
  readonly tokens: number;
  /** When `tokens` was computed (ms, store clock); after a pause, the pause's end. */
  readonly at: number;
  /** Takes are refused before this time (ms, store clock); 0 = not paused. */
  readonly pausedUntil: number;
}

export interface BucketLimits {
  readonly ratePerSec: number;
  readonly burst: number;
  /** Tokens that must remain after the take: 0 for live, the reserve for bulk and cosmetics. */
  readonly reserve: number;
  /** Most tokens this take grants (≥ 1). */
  readonly count: number;
}

/** Checks the caller's numbers once, for both adapters, and works out the reserve of a take. */
export function bucketLimits(ratePerSec: number, burst: number, options: TakeOptions = {}): BucketLimits {
  if (!Number.isFinite(ratePerSec) || ratePerSec <= 0)
    throw new RangeError(`rate limit: ratePerSec must be > 0 (got ${ratePerSec})`);
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError(`rate limit: burst must be ≥ 1 (got ${burst})`);
  const fraction = options.bulkReserve ?? DEFAULT_BULK_RESERVE;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`rate limit: bulkReserve must be in [0, 1) (got ${fraction})`);
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_TAKE_COUNT)
    throw new RangeError(`rate limit: count must be an integer in [1, ${MAX_TAKE_COUNT}] (got ${count})`);
  // A cosmetic reserve is not capped below the burst: with a burst of 1 nothing tells a quiet Page
  // from a busy one, and a cosmetic must never take the token a reply needs, so none is granted.
  const reserve =
    options.priority === 'cosmetic'
      ? burst * COSMETIC_RESERVE
      : options.priority === 'bulk'
        ? Math.min(burst * fraction, burst - 1)
        : 0;
  return { ratePerSec, burst, reserve, count };
}

export function assertPauseMs(forMs: number): void {
  if (!Number.isFinite(forMs) || forMs < 0) throw new RangeError(`rate limit: pause must be ≥ 0 ms (got ${forMs})`);
}

/** How long an idle bucket is kept: long enough to refill from empty (after that it reads as full). */
export const idleTtlMs = (l: Pick<BucketLimits, 'ratePerSec' | 'burst'>): number =>
  Math.ceil((l.burst / l.ratePerSec) * 1000) + 1000;

/** One take at `now`: the outcome, and the bucket's new state when a token was taken. */
export function takeToken(
  state: BucketState | undefined,
  l: BucketLimits,
  now: number,
): { outcome: TakeOutcome; next?: BucketState } {
  const paused = state?.pausedUntil ?? 0;
  if (paused > now) return { outcome: { granted: false, retryInMs: Math.ceil(paused - now) } };
  const ratePerMs = l.ratePerSec / 1000;
  let tokens = state?.tokens ?? l.burst;
  const at = state?.at ?? now;
  if (now > at) tokens += (now - at) * ratePerMs;
  if (tokens > l.burst) tokens = l.burst;
  const need = 1 + l.reserve;
  if (tokens < need) return { outcome: { granted: false, retryInMs: Math.max(1, Math.ceil((need - tokens) / ratePerMs)) } };
  const count = Math.min(l.count, Math.floor(tokens - l.reserve));
  return { outcome: { granted: true, count }, next: { tokens: tokens - count, at: now, pausedUntil: 0 } };
}

/** Pauses until now + forMs unless already paused longer; the bucket resumes with one token. */
export function pauseBucket(state: BucketState | undefined, forMs: number, now: number): BucketState | undefined {
  const until = now + forMs;
  if (until <= (state?.pausedUntil ?? 0)) return undefined;
  return { tokens: 1, at: until, pausedUntil: until };
}
