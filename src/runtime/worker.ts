import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { InboxItem, InboxRead, LeaseGrant, Store, UnknownRecord } from '../store/ports';
import { streamIdAfter } from '../store/records';
import { applyBatch, type ApplyContext } from './applyBatch';
import type { Handler } from './handler';
import { HeldRecords, heldRetryMs } from './heldRecords';
import { supervise, type PartitionTask } from './partitionTask';
import { Signal } from './signal';
import { StateCache } from './stateCache';
import { storeBackoffMs } from './storeRetry';
import { DEFAULT_MAX_ATTEMPTS, PoisonGuard } from './poisonGuard';
import { forgetUser, isForgetItem } from './forgetUser';
import { userKeyOf } from '../store/partitionOf';

export interface WorkerOptions<S> {
  readonly store: Store;
  readonly handler: Handler<S>;
  readonly partitions: number;
  readonly workerId: string;
  readonly leaseTtlMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => number;
  /** How long one inbox read waits for new items; also bounds how fast a stop is noticed. */
  readonly readBlockMs?: number;
  /** Longest wait between looks at an item a newer Talkshop wrote, which holds up its partition (default 30 s). */
  readonly heldRetryMs?: number;
  /** Runs beside the apply loop while a partition is held (see PartitionTask); restarted if it fails. */
  readonly partitionTask?: PartitionTask;
  /** Attempts at one item (ended by a crash, a freeze past the lease, or an error) before it is set aside (default 5). */
  readonly maxAttempts?: number;
}

interface Lease<S> {
  readonly partition: number;
  readonly token: string;
  /** States this worker committed under this lease; dropped with it. */
  readonly cache: StateCache<S>;
  active: boolean;
  /** Highest item id read into `queue`; the next read starts after it. */
  lastSeen: string;
  /** The last item applied (or the cursor the lease started at). */
  applied: string;
  readonly queue: InboxRead[];
  /** Bumped when the queue is dropped to read again from `applied`: reads issued before are stale. */
  rewinds: number;
  /** While an item from a newer Talkshop blocks the partition: no reads before this time (ms). */
  heldUntil: number;
  /** Consecutive looks at such an item; the wait doubles with each. */
  holdStreak: number;
  running: Promise<void> | null;
  /** Wakes the partition task after a commit; `task` is that task while it runs. */
  readonly signal: Signal;
  task: Promise<void> | null;
  /** True while the partition task runs (false between a failure and its restart). */
  serving: boolean;
  /** Sets aside an item that can never be applied (see PoisonGuard). */
  readonly guard: PoisonGuard;
}

const READ_BATCH = 100;
/** Items applied and committed together (one store round trip); a partition's order is kept. */
const APPLY_BATCH = 32;
/** A partition with this many items queued locally is not read again until it drains. */
const QUEUE_HIGH_WATER = 500;
/** Users whose state is kept in memory per held partition (see StateCache). */
const STATE_CACHE_PER_PARTITION = 1000;

/**
 * A worker process's runtime. It keeps a fair share of the inbox partitions by leases (share =
 * ⌈partitions / live workers⌉, recomputed every third of the lease TTL, so a new or dead worker
 * is absorbed without restarts), reads new items for all its partitions with one blocking read,
 * and applies each partition's items strictly one at a time, in id order.
 */
export class Worker<S> {
  private readonly leases = new Map<number, Lease<S>>();
  private readonly ctx: ApplyContext<S>;
  private stopping = false;
  private controlTimer: NodeJS.Timeout | undefined;
  private controlling: Promise<void> | null = null;
  private reading: Promise<void> | null = null;
  private readonly held: HeldRecords;
  /** True while the worker runs and the store answered its last heartbeat. */
  healthy = false;

  constructor(private readonly o: WorkerOptions<S>) {
    this.ctx = { states: o.store.states, handler: o.handler, logger: o.logger, metrics: o.metrics, now: o.now ?? Date.now };
    this.held = new HeldRecords('inbox', o.metrics, o.logger);
  }

  get heldPartitions(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }

  /** Held partitions whose partition task (the sender) is not running: failed and waiting for its restart. */
  get unservedPartitions(): number[] {
    if (!this.o.partitionTask) return [];
    return [...this.leases.values()].filter((l) => l.active && !l.serving).map((l) => l.partition);
  }

  async start(): Promise<void> {
    await this.control();
    this.controlTimer = setInterval(() => void this.control(), Math.max(50, Math.floor(this.o.leaseTtlMs / 3)));
    this.reading = this.readLoop();
  }

  /** Stops taking work, lets in-flight items finish, releases every lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.controlTimer);
    await this.controlling;
    await Promise.all([...this.leases.values()].map((l) => this.letGo(l)));
    await this.reading;
    await this.o.store.leases.leave(this.o.workerId).catch(() => undefined);
    this.o.metrics.partitionsHeld.set(0);
  }

  private control(): Promise<void> {
    this.controlling ??= this.rebalance()
      .catch((err: unknown) => {
        this.healthy = false;
        this.o.logger.warn({ err }, 'lease maintenance failed; retrying');
      })
      .finally(() => (this.controlling = null));
    return this.controlling;
  }

  private async rebalance(): Promise<void> {
    if (this.stopping) return;
    const { leases: store } = this.o.store;
    const live = await store.heartbeat(this.o.workerId, this.o.leaseTtlMs);
    this.healthy = true;
    await Promise.all(
      [...this.leases.values()].map(async (l) => {
        if (!(await store.renew(l.partition, l.token, this.o.leaseTtlMs))) this.lose(l);
      }),
    );
    const share = Math.ceil(this.o.partitions / Math.max(1, live));
    if (this.leases.size < share) await this.acquireUpTo(share);
    else if (this.leases.size > share) await this.releaseDownTo(share);
    this.o.metrics.partitionsHeld.set(this.leases.size);
  }

  private async acquireUpTo(share: number): Promise<void> {
    // Start at a random partition so workers starting together do not contend for the same ones.
    const offset = Math.floor(Math.random() * this.o.partitions);
    for (let i = 0; i < this.o.partitions && this.leases.size < share && !this.stopping; i++) {
      const partition = (offset + i) % this.o.partitions;
      if (this.leases.has(partition)) continue;
      const grant = await this.takeLease(partition);
      if (!grant) continue;
      const { token } = grant;
      const lastSeen = await this.o.store.inbox.cursor(partition);
      const lease: Lease<S> = {
        partition,
        token,
        cache: new StateCache<S>(STATE_CACHE_PER_PARTITION),
        active: true,
        lastSeen,
        applied: lastSeen,
        queue: [],
        rewinds: 0,
        heldUntil: 0,
        holdStreak: 0,
        running: null,
        signal: new Signal(),
        task: null,
        serving: false,
        guard: new PoisonGuard({
          inbox: this.o.store.inbox,
          partition,
          leaseToken: token,
          maxAttempts: this.o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
          carefulItems: APPLY_BATCH,
          startCareful: grant.previous === 'not_released',
          metrics: this.o.metrics,
          logger: this.o.logger,
        }),
      };
      this.leases.set(partition, lease);
      this.startTask(lease);
      this.o.logger.debug({ partition }, 'lease acquired');
    }
  }

  /** A lease, and how its previous holder ended it (a store that cannot tell: as if it crashed). */
  private async takeLease(partition: number): Promise<LeaseGrant | null> {
    const { leases } = this.o.store;
    if (leases.acquireNoting) return leases.acquireNoting(partition, this.o.workerId, this.o.leaseTtlMs);
    const token = await leases.acquire(partition, this.o.workerId, this.o.leaseTtlMs);
    return token === null ? null : { token, previous: 'not_released' };
  }

  private async releaseDownTo(share: number): Promise<void> {
    const idleFirst = [...this.leases.values()].sort((a, b) => a.queue.length - b.queue.length);
    await Promise.all(idleFirst.slice(0, this.leases.size - share).map((l) => this.letGo(l)));
  }

  private startTask(lease: Lease<S>): void {
    const task = this.o.partitionTask;
    if (!task) return;
    const active = () => lease.active && !this.stopping;
    const wake = (ms: number) => lease.signal.wait(ms);
    lease.task = supervise(task, lease.partition, lease.token, active, wake, {
      logger: this.o.logger,
      restarted: () => this.o.metrics.partitionTaskRestarts.inc(),
      serving: (running) => (lease.serving = running),
    });
  }

  /** Finishes the item in hand, then gives the partition back for another worker to take. */
  private async letGo(lease: Lease<S>): Promise<void> {
    lease.active = false;
    lease.signal.notify();
    this.leases.delete(lease.partition);
    await lease.running;
    await lease.task;
    await this.o.store.leases.release(lease.partition, lease.token).catch(() => undefined);
  }

  private lose(lease: Lease<S>): void {
    if (!lease.active) return;
    this.o.logger.warn({ partition: lease.partition }, 'lease lost; another worker owns this partition now');
    lease.active = false;
    lease.signal.notify();
    lease.queue.length = 0;
    this.leases.delete(lease.partition);
  }

  private async readLoop(): Promise<void> {
    const blockMs = this.o.readBlockMs ?? 1000;
    while (!this.stopping) {
      const after = new Map<number, string>();
      const readFor = new Map<number, ReadFor<S>>();
      for (const l of this.leases.values()) {
        if (l.queue.length >= QUEUE_HIGH_WATER || l.heldUntil > Date.now()) continue;
        after.set(l.partition, l.lastSeen);
        readFor.set(l.partition, { lease: l, rewinds: l.rewinds });
      }
      if (after.size === 0) {
        await sleep(Math.min(blockMs, 100));
        continue;
      }
      try {
        this.enqueue(await this.o.store.inbox.readNew(after, READ_BATCH, blockMs), readFor);
      } catch (err) {
        this.o.logger.warn({ err }, 'inbox read failed; retrying');
        await sleep(250);
      }
    }
  }

  /**
   * Queues what a read returned, but only for the very lease the read was issued for: if the
   * lease was lost (or given back) and taken again meanwhile, the new lease starts at the
   * committed cursor, and items from the old read position would skip the ones in between. The
   * same goes for a read issued before the queue was dropped to read again (see hold).
   */
  private enqueue(items: readonly InboxRead[], readFor: ReadonlyMap<number, ReadFor<S>>): void {
    const fed = new Set<Lease<S>>();
    for (const item of items) {
      const lease = this.leases.get(item.partition);
      const read = readFor.get(item.partition);
      if (!lease?.active || lease !== read?.lease || lease.rewinds !== read.rewinds || !streamIdAfter(item.id, lease.lastSeen))
        continue;
      lease.queue.push(item);
      lease.lastSeen = item.id;
      fed.add(lease);
    }
    // Kicked once everything read is queued: a drain takes its first batch at once, so kicked per
    // item it took only the partition's first item and committed the rest in a second round trip.
    for (const lease of fed) this.kick(lease);
  }

  private kick(lease: Lease<S>): void {
    lease.running ??= this.drain(lease).finally(() => {
      lease.running = null;
      if (lease.active && !this.stopping && lease.queue.length > 0) this.kick(lease);
    });
  }

  /**
   * Applies a partition's queued items in order, a batch at a time (one at a time when traffic is
   * light); a failure retries the same items, so none is skipped or reordered, except one that can
   * never be applied, which the lease's PoisonGuard sets aside.
   */
  private async drain(lease: Lease<S>): Promise<void> {
    let failures = 0;
    while (lease.active && !this.stopping && lease.queue.length > 0) {
      const head = lease.queue[0];
      if (head?.type === 'unknown') return this.hold(lease, head);
      try {
        if (isForgetItem(head)) {
          // An erase: not the engine's (see forgetUser); the user leaves the cache either way.
          lease.cache.delete(userKeyOf(head.record.event.pageId, head.record.event.userId));
          if ((await forgetUser(this.ctx, lease.token, head)) === 'lease_lost') return this.lose(lease);
          lease.applied = lease.queue.shift()?.id ?? lease.applied;
          lease.signal.notify();
          failures = 0;
          continue;
        }
        const batch = leadingItems(lease.queue, lease.guard.batchSize(APPLY_BATCH));
        const verdict = head?.type === 'corrupt' ? await lease.guard.corrupt(head) : await lease.guard.before(batch[0]);
        if (verdict === 'lease_lost') return this.lose(lease);
        if (verdict === 'set_aside') {
          lease.applied = lease.queue.shift()?.id ?? lease.applied;
          continue;
        }
        const outcome = await applyBatch(this.ctx, batch, lease.token, lease.cache);
        if (outcome.type === 'lease_lost') return this.lose(lease);
        lease.queue.splice(0, outcome.count);
        lease.guard.applied(outcome.count);
        if (outcome.count > 0) {
          lease.applied = batch[outcome.count - 1]?.id ?? lease.applied;
          lease.holdStreak = 0;
          lease.signal.notify();
        }
        failures = 0;
      } catch (err) {
        lease.guard.failed(err);
        this.o.logger.warn({ err, partition: lease.partition, itemId: head?.id }, 'applying items failed; retrying them');
        await sleep(storeBackoffMs(++failures));
      }
    }
  }

  /**
   * The partition's next item was written by a newer Talkshop (a kind or format this code does
   * not know). Nothing after it may go first, so the partition waits there: its queue is dropped
   * and, after a growing pause, read again from the last applied item. By then a newer worker may
   * hold the partition (this one gives idle partitions away first), or the item may be gone.
   */
  private hold(lease: Lease<S>, record: UnknownRecord): void {
    this.held.note(lease.partition, record.id, record);
    lease.queue.length = 0;
    lease.lastSeen = lease.applied;
    lease.rewinds += 1;
    lease.holdStreak += 1;
    lease.heldUntil = Date.now() + heldRetryMs(lease.holdStreak, this.o.heldRetryMs);
  }
}

/** Which lease (and which of its read positions) a read was issued for. */
interface ReadFor<S> {
  readonly lease: Lease<S>;
  readonly rewinds: number;
}

/** The items at the head of a queue, up to the first record from a newer Talkshop. */
function leadingItems(queue: readonly InboxRead[], max: number): InboxItem[] {
  const items: InboxItem[] = [];
  for (const read of queue) {
    if (read.type !== 'item' || items.length === max || isForgetItem(read)) break;
    items.push(read);
  }
  return items;
}
