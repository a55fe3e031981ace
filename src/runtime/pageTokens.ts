import { pageRateBucket, type RateLane } from '../store/keys';
import type { RateLimitStore, RatePriority } from '../store/ports';
import { MAX_TAKE_COUNT } from '../store/tokenBucket';

/** Longest wait for a token spent in place; a longer one (a Page pause) goes back to the caller. */
const WAIT_IN_PLACE_MS = 1000;
/**
 * Tokens one store call asks for at least (live and bulk): the ones no sender is waiting for yet
 * are kept for the sends about to ask, for SPARE_MS at most, so a busy process makes one rate-limit
 * round trip per batch of sends. A spare token not used in time is lost to the Page (at most this
 * many per lane, priority and process, once traffic stops).
 */
const TAKE_AHEAD = 8;
/**
 * Short, because a token used later than its grant moves a send out of the second the limiter
 * counted it in: kept 100 ms, the Page's busiest second at the fake Graph API reached 306 calls
 * (bench:page, burst phase) with the limiter granting 290.
 */
const SPARE_MS = 20;

type Granted = { readonly granted: true } | { readonly granted: false; readonly retryInMs: number };

interface Waiter {
  readonly resolve: (outcome: Granted) => void;
  readonly reject: (err: unknown) => void;
}

export interface PageRates {
  readonly text: number;
  readonly media: number;
  readonly burst: number;
}

/**
 * The Page's send tokens as this process's senders ask for them. Senders asking for the same lane
 * and priority while a take is out join the next one: one store call serves all of them (up to
 * MAX_TAKE_COUNT), and asks for a few more (TAKE_AHEAD) for the sends about to ask, so a busy
 * process makes one rate-limit round trip per batch of sends rather than one per send. Tokens kept
 * ahead last SPARE_MS: the shared bucket stays the truth for every process, give or take a few.
 */
export class PageTokens {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly busy = new Set<string>();
  /** Tokens granted beyond the waiters of their call, per lane and priority, usable until `until`. */
  private readonly spare = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly store: RateLimitStore,
    private readonly pageId: string,
    private readonly rates: PageRates,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /**
   * Waits for a token at this priority. Short waits happen here, asking again the moment the token
   * is due (with a small bucket every millisecond spent elsewhere is capacity lost). Returns 0 when
   * granted, or the wait of a long pause for the caller to back off.
   */
  async wait(lane: RateLane, priority: 'live' | 'bulk'): Promise<number> {
    for (;;) {
      const outcome = await this.take(lane, priority);
      if (outcome.granted) return 0;
      if (outcome.retryInMs > WAIT_IN_PLACE_MS) return outcome.retryInMs;
      await this.sleep(outcome.retryInMs);
    }
  }

  /**
   * One try at a cosmetic token (a seen marker, a typing indicator), granted only while the Page's
   * bucket is not under pressure. Never waits: a cosmetic that cannot go now is dropped, not queued.
   */
  async tryCosmetic(lane: RateLane): Promise<boolean> {
    return (await this.take(lane, 'cosmetic')).granted;
  }

  private take(lane: RateLane, priority: RatePriority): Promise<Granted> {
    const key = `${lane}|${priority}`;
    if (this.useSpare(key)) return Promise.resolve({ granted: true });
    return new Promise<Granted>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ resolve, reject });
      this.queues.set(key, queue);
      this.pump(key, lane, priority);
    });
  }

  /**
   * Forgets the tokens kept ahead: the Page was just paused (Meta answered a rate limit or refused
   * the token), and sends must wait for the pause like every other process's.
   */
  clearSpare(): void {
    this.spare.clear();
  }

  /** Takes a token kept ahead, if one is left and still fresh. */
  private useSpare(key: string): boolean {
    const spare = this.spare.get(key);
    if (!spare || spare.count === 0 || Date.now() >= spare.until) return false;
    spare.count -= 1;
    return true;
  }

  private pump(key: string, lane: RateLane, priority: RatePriority): void {
    const queue = this.queues.get(key);
    if (this.busy.has(key) || !queue) return;
    while (queue.length > 0 && this.useSpare(key)) queue.shift()?.resolve({ granted: true });
    if (queue.length === 0) return;
    const waiters = queue.splice(0, MAX_TAKE_COUNT);
    this.busy.add(key);
    // Cosmetics are never taken ahead: they must find the Page quiet at the moment they go.
    const count = priority === 'cosmetic' ? waiters.length : Math.min(MAX_TAKE_COUNT, Math.max(waiters.length, TAKE_AHEAD));
    this.store
      .take(pageRateBucket(this.pageId, lane), this.rates[lane], this.rates.burst, { priority, count })
      .then(
        (outcome) => {
          // Those beyond the grant ask again after about one token's refill time.
          const next: Granted = outcome.granted ? { granted: false, retryInMs: Math.ceil(1000 / this.rates[lane]) } : outcome;
          waiters.forEach((w, i) => w.resolve(outcome.granted && i < outcome.count ? { granted: true } : next));
          if (outcome.granted && outcome.count > waiters.length)
            this.spare.set(key, { count: outcome.count - waiters.length, until: Date.now() + SPARE_MS });
        },
        (err: unknown) => waiters.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.busy.delete(key);
        this.pump(key, lane, priority);
      });
  }
}
