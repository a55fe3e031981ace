/**
 * A circuit breaker in front of the Graph API, one per client (one per process and Page).
 *
 * Why: when Graph does not answer (a network outage, Meta answering 5xx to everything), every
 * partition's sender, every new user's profile lookup and every retry would otherwise go on
 * connecting and failing, each on its own backoff: 64 partitions turn one outage into a retry
 * storm of failed connects, error objects and log lines, while the outbox keeps every reply
 * anyway. After `threshold` such failures in a row the breaker opens: calls fail at once, without
 * a connection, and say when to try again. When the pause is over one call goes through as a
 * probe (the others are still refused); its success closes the breaker, its failure opens it
 * again for twice as long (with jitter, up to `capMs`). Any HTTP answer that is not a 5xx shows
 * Graph is up and closes it, whatever the answer says about the request.
 */
export interface GraphBreakerOptions {
  /** Outage failures in a row that open the breaker. Default 5. */
  readonly threshold?: number;
  /** The first pause (ms). Default 1000. */
  readonly baseMs?: number;
  /** The longest pause (ms). Default 30 000. */
  readonly capMs?: number;
  /** Real elapsed time (ms): a pause, not a timestamp. Default Date.now. */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Told when the breaker opens (with the pause) and when it closes again. */
  readonly onChange?: (change: BreakerChange) => void;
}

export type BreakerChange =
  | { readonly state: 'open'; readonly pauseMs: number; readonly failures: number }
  | { readonly state: 'closed'; readonly outageMs: number };

export type BreakerGate =
  { readonly admitted: true; readonly probe: boolean } | { readonly admitted: false; readonly retryInMs: number };

/** How long a refused caller is told to wait while a probe is out. */
const PROBE_WAIT_MS = 250;

export class GraphBreaker {
  private failures = 0;
  private opens = 0;
  private openUntil = 0;
  private openedAt = 0;
  private probing = false;
  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly o: GraphBreakerOptions = {}) {
    this.threshold = o.threshold ?? 5;
    this.baseMs = o.baseMs ?? 1000;
    this.capMs = o.capMs ?? 30_000;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  /** Whether a call may go out now. A probe must be followed by `succeeded` or `failed`. */
  admit(): BreakerGate {
    if (this.opens === 0) return { admitted: true, probe: false };
    const wait = this.openUntil - this.now();
    if (wait > 0) return { admitted: false, retryInMs: wait };
    if (this.probing) return { admitted: false, retryInMs: PROBE_WAIT_MS };
    this.probing = true;
    return { admitted: true, probe: true };
  }

  /** Graph answered (anything but a 5xx). */
  succeeded(probe: boolean): void {
    this.failures = 0;
    if (probe) this.probing = false;
    if (this.opens === 0) return;
    const outageMs = this.now() - this.openedAt;
    this.opens = 0;
    this.openUntil = 0;
    this.o.onChange?.({ state: 'closed', outageMs });
  }

  /**
   * Graph did not answer, or answered 5xx. While open, only the probe's failure counts: calls that
   * left before the breaker opened say nothing new.
   */
  failed(probe: boolean): void {
    this.failures += 1;
    if (probe) this.probing = false;
    if (this.opens === 0 ? this.failures < this.threshold : !probe) return;
    if (this.opens === 0) this.openedAt = this.now();
    this.opens += 1;
    const full = Math.min(this.capMs, this.baseMs * 2 ** (this.opens - 1));
    // Jitter: processes that saw the same outage do not all probe at the same moment.
    const pauseMs = Math.round(full / 2 + (this.random() * full) / 2);
    this.openUntil = this.now() + pauseMs;
    this.o.onChange?.({ state: 'open', pauseMs, failures: this.failures });
  }

  /** True while calls are refused (for metrics and health). */
  get open(): boolean {
    return this.opens > 0;
  }
}
