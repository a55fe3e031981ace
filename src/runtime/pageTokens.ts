import { pageRateBucket, type RateLane } from '../store/keys';
import type { RateLimitStore, RatePriority } from '../store/ports';
import { MAX_TAKE_COUNT } from '../store/tokenBucket';

/** Longest wait for a token spent in place; a longer one (a Page pause) goes back to the caller. */
const WAIT_IN_PLACE_MS = 1000;

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
 * MAX_TAKE_COUNT), so a busy process makes one rate-limit round trip per batch of sends rather
 * than one per send. A token is handed to a waiting send the moment it is granted: none is held
 * back, so the shared bucket stays the one truth for every process.
 */
export class PageTokens {
  private readonly queues = new Map<string, Waiter[]>();
  private readonly busy = new Set<string>();

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
    return new Promise<Granted>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ resolve, reject });
      this.queues.set(key, queue);
      this.pump(key, lane, priority);
    });
  }

  private pump(key: string, lane: RateLane, priority: RatePriority): void {
    const queue = this.queues.get(key);
    if (this.busy.has(key) || !queue || queue.length === 0) return;
    const waiters = queue.splice(0, MAX_TAKE_COUNT);
    this.busy.add(key);
    this.store
      .take(pageRateBucket(this.pageId, lane), this.rates[lane], this.rates.burst, { priority, count: waiters.length })
      .then(
        (outcome) => {
          // Those beyond the grant ask again after about one token's refill time.
          const next: Granted = outcome.granted ? { granted: false, retryInMs: Math.ceil(1000 / this.rates[lane]) } : outcome;
          waiters.forEach((w, i) => w.resolve(outcome.granted && i < outcome.count ? { granted: true } : next));
        },
        (err: unknown) => waiters.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.busy.delete(key);
        this.pump(key, lane, priority);
      });
  }
}
