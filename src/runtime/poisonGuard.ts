import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CorruptRecord, InboxItem, InboxStore, SetAsideReason } from '../store/ports';
import { isStoreUnavailable } from './storeRetry';

/** Attempts at one inbox item before it is set aside (INBOX_MAX_ATTEMPTS). */
export const DEFAULT_MAX_ATTEMPTS = 5;
/**
 * Items set aside one after another, with nothing applied in between, after which the guard stops
 * setting aside: when every item fails, the fault is in the code or a dependency, not in the
 * items, and the partition must wait (and be seen waiting) instead of emptying into the set-aside list.
 */
export const MAX_SET_ASIDE_STREAK = 3;

export interface PoisonGuardOptions {
  readonly inbox: InboxStore;
  readonly partition: number;
  readonly leaseToken: string;
  readonly maxAttempts: number;
  /** How many items go one at a time after a lease is taken over or a batch failed (the apply batch). */
  readonly carefulItems: number;
  /**
   * Whether the lease starts careful: only when the previous lease was not released (its holder
   * crashed, froze or lost it), since only then can an item after the cursor have been tried
   * (LeaseStore.acquireNoting). Default true.
   */
  readonly startCareful?: boolean;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** What to do with the item at the head of the queue. */
export type Verdict = 'apply' | 'set_aside' | 'lease_lost';

/**
 * Keeps one item that can never be applied from stopping its partition for good, for one lease.
 *
 * After a lease is taken over from a holder that did not release it (it may have crashed or frozen
 * on one of the next items) and after a batch failed for any reason but an unreachable store, items
 * go one at a time, each attempt counted in the store before it starts, so a count survives the
 * process that froze on it. A lease released by its holder (a stop, a rebalance) or a partition
 * never leased before starts with batches: no item after the cursor was tried there. So an item
 * that kills or freezes its worker gets one uncounted try in a batch, and then maxAttempts counted ones.
 * An item already attempted maxAttempts times is set aside: kept, counted, logged, never applied.
 * Store outages never count: they say nothing about the item.
 */
export class PoisonGuard {
  private careful: number;
  /** The item whose attempt this lease already counted (a store hiccup does not count again). */
  private counted: string | null = null;
  private lastError: string | null = null;
  private streak = 0;

  constructor(private readonly o: PoisonGuardOptions) {
    this.careful = o.startCareful === false ? 0 : o.carefulItems;
  }

  /** How many items the next apply may take. */
  batchSize(max: number): number {
    return this.careful > 0 ? 1 : max;
  }

  /** Before applying `item` (alone, while careful): count the attempt, or set the item aside. */
  async before(item: InboxItem | undefined): Promise<Verdict> {
    if (!item || this.careful === 0 || this.counted === item.id) return 'apply';
    const attempts = await this.o.inbox.noteAttempt(this.o.partition, item.id);
    this.counted = item.id;
    if (attempts <= this.o.maxAttempts) return 'apply';
    if (this.streak >= MAX_SET_ASIDE_STREAK) {
      if (this.streak++ === MAX_SET_ASIDE_STREAK)
        this.o.logger.error(
          { partition: this.o.partition, itemId: item.id, attempts, error: this.lastError },
          `${MAX_SET_ASIDE_STREAK} items in a row failed: not setting more aside (the fault is not in the items); retrying until one applies`,
        );
      return 'apply';
    }
    const why =
      this.lastError ?? 'every attempt ended without an answer: the worker crashed, froze past its lease or was stopped';
    return this.setAside(item, 'attempts', attempts - 1, why);
  }

  /** An entry nobody can read is set aside at once: no attempt could ever apply it. */
  corrupt(record: CorruptRecord): Promise<Verdict> {
    return this.setAside(record, 'corrupt', 0, record.detail);
  }

  applied(count: number): void {
    if (count === 0) return;
    this.careful = Math.max(0, this.careful - count);
    this.streak = 0;
    this.lastError = null;
  }

  failed(err: unknown): void {
    if (isStoreUnavailable(err)) return;
    this.careful = this.o.carefulItems;
    this.counted = null;
    this.lastError = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : 'a non-Error was thrown';
  }

  private async setAside(
    item: InboxItem | CorruptRecord,
    reason: SetAsideReason,
    attempts: number,
    detail: string,
  ): Promise<Verdict> {
    const { partition, leaseToken } = this.o;
    const outcome = await this.o.inbox.setAside(partition, leaseToken, item.id, reason, attempts, detail);
    if (outcome === 'lease_lost') return 'lease_lost';
    this.counted = null;
    if (outcome === 'already_applied') return 'set_aside';
    if (reason === 'attempts') this.streak += 1;
    this.o.metrics.inboxSetAside.inc({ reason });
    const record = 'record' in item ? item.record : undefined;
    this.o.logger.error(
      { partition, itemId: item.id, reason, attempts, detail, kind: record?.event.kind, source: record?.source },
      'inbox item set aside (kept for a person to look at, see the README: Set-aside items); the partition goes on',
    );
    return 'set_aside';
  }
}
