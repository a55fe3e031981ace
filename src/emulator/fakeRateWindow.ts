/**
 * A sliding-window call limit, the way the fake holds a Page to Meta's per-Page rates
 * (docs/messenger-platform.md §6.1): at most `calls` accepted calls whose arrival times lie within
 * the last `windowMs`. Only accepted calls are kept, so a refused call does not push the next
 * allowed one further away: the window says how many calls Meta served, not how many it was asked.
 */
export interface RateLimit {
  readonly calls: number;
  readonly windowMs: number;
}

export class RateWindow {
  /** Arrival times of the accepted calls still in the window, oldest first. */
  private readonly times: number[] = [];
  /** Index of the oldest time still in the window (shifting an array per call would be O(n)). */
  private head = 0;

  constructor(private readonly limit: RateLimit) {}

  /** Accepts (and counts) a call arriving at `at`, or refuses it when the window is full. */
  admit(at: number): boolean {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= at - this.limit.windowMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    if (this.times.length - this.head >= this.limit.calls) return false;
    this.times.push(at);
    return true;
  }

  clear(): void {
    this.times.length = 0;
    this.head = 0;
  }
}
