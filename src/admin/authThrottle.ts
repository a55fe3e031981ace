/**
 * Failed admin logins per client address, in fixed one-minute windows: after `maxFailures` in a
 * window the address is refused (429) until the window ends. In memory and per process (the admin
 * listener is on loopback by default, so one process sees every attempt against it). The map is
 * bounded: at `maxAddresses` the address whose window started first is forgotten, so a flood from
 * many addresses costs a fixed amount of memory (at worst it lets a flooder's own count reset).
 */
export interface AuthThrottleOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxAddresses: number;
  readonly now: () => number;
}

export const DEFAULT_THROTTLE: AuthThrottleOptions = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000, now: Date.now };

export class AuthThrottle {
  // Insertion order = order of window start (a new window re-inserts), so the first key is the oldest.
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(private readonly options: AuthThrottleOptions = DEFAULT_THROTTLE) {}

  /** Milliseconds until this address may try again; 0 = it may try now. */
  blockedFor(address: string): number {
    const w = this.current(address);
    return w && w.failures >= this.options.maxFailures ? w.start + this.options.windowMs - this.options.now() : 0;
  }

  /** Counts one failed attempt from this address. */
  fail(address: string): void {
    const w = this.current(address);
    if (w) return void (w.failures += 1);
    this.windows.delete(address);
    if (this.windows.size >= this.options.maxAddresses) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    this.windows.set(address, { start: this.options.now(), failures: 1 });
  }

  /** Addresses currently remembered (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private current(address: string) {
    const w = this.windows.get(address);
    return w && this.options.now() - w.start < this.options.windowMs ? w : undefined;
  }
}
