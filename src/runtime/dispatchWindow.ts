/**
 * The last guard before a Send API call leaves this process: at most `limit` calls in any
 * `windowMs`, by the moment they are made. The Page's token bucket (in the store, shared by every
 * process) grants tokens at the right rate, but a granted token is spent a little later, after
 * the store's answer and whatever else the event loop had to do first: tokens granted over 100 ms
 * can leave in 5 ms, and Meta counts calls as they arrive (bench:page saw 302 in one second with
 * the bucket at 290, and two answers of 613). Each call reserves the next free moment: never
 * before the call `limit` places earlier has been out of the window for `windowMs`.
 */
export class DispatchWindow {
  /** The last `limit` reserved moments (ms, a monotonic clock), oldest at `head`. */
  private readonly ring: number[];
  private head = 0;
  private last = -Infinity;

  constructor(
    limit: number,
    private readonly windowMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.ring = new Array<number>(Math.max(1, Math.floor(limit))).fill(-Infinity);
  }

  /**
   * Reserves a moment for one call and returns how long to wait for it (ms, 0 = now); or, when
   * that is more than `maxWaitMs` away, reserves nothing and returns undefined (a cosmetic call
   * is dropped rather than delayed).
   */
  reserve(maxWaitMs = Infinity): number | undefined {
    const now = this.now();
    const at = Math.max(now, this.last, (this.ring[this.head] as number) + this.windowMs);
    if (at - now > maxWaitMs) return undefined;
    this.ring[this.head] = at;
    this.head = (this.head + 1) % this.ring.length;
    this.last = at;
    return at - now;
  }
}
