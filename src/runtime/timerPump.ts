import type { Logger } from '../logger';
import type { HeldPartition, Store, TimerStore } from '../store/ports';

/** Most timers one partition moves per store call; a partition that had more is asked again at once. */
const BATCH = 100;
/**
 * Partitions asked in one store call. All of a worker's partitions are asked in the same tick
 * (one round trip), but a call moves at most this many × BATCH timers, so a burst of due timers
 * (a sequence step for 100,000 users) does not hold Redis in one long script.
 */
const PARTITIONS_PER_CALL = 16;

/** Serves a held partition's timers until `active()` is false or the lease is gone. */
export type PumpTimers = (partition: number, leaseToken: string, active: () => boolean) => Promise<void>;

/**
 * While this worker holds a partition, moves its due timers into its inbox (under the lease), where
 * the worker applies them like any event. Timers live in the store, so they survive restarts: the
 * next holder of the partition fires what came due meanwhile. Each pump resolves once its `active()`
 * is false or its lease is gone.
 *
 * Every `everyMs` each held partition is asked, but all the partitions this pump serves are asked
 * together (TimerStore.fireDueMany): with 64 partitions a loop per partition made 128 script calls
 * a second however idle the Page, 40% of all script calls in a bench run. One per worker (the
 * composition root makes it), so one loop asks all of that worker's partitions.
 */
export function timerPump(store: Store, now: () => number, logger: Logger, everyMs = 500): PumpTimers {
  const hub = new TimerHub(store.timers, now, logger, everyMs);
  return (partition, leaseToken, active) => hub.serve({ partition, leaseToken }, active);
}

interface Served extends HeldPartition {
  readonly active: () => boolean;
  readonly done: () => void;
}

/** One loop asking every partition served (on one store, with one clock) for its due timers. */
class TimerHub {
  private readonly served = new Set<Served>();
  private running = false;
  /** Set when a partition was added: the loop asks again before it pauses. */
  private added = false;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly timers: TimerStore,
    private readonly now: () => number,
    private readonly logger: Logger,
    private readonly everyMs: number,
  ) {}

  serve(lease: HeldPartition, active: () => boolean): Promise<void> {
    if (!active()) return Promise.resolve();
    return new Promise((done) => {
      this.served.add({ ...lease, active, done });
      // A partition just taken is asked at once (what came due while nobody held it).
      this.added = true;
      this.wakeUp?.();
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.live().length > 0) {
        this.added = false;
        let asking = this.live();
        // Without a pause while some partition had more due than one call moves.
        while (asking.length > 0) asking = await this.fire(asking.filter((s) => s.active()));
        if (this.added) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.everyMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = null;
      }
    } finally {
      this.running = false;
    }
  }

  /** The partitions still served; the others' pumps end here. */
  private live(): Served[] {
    for (const s of this.served)
      if (!s.active()) {
        this.served.delete(s);
        s.done();
      }
    return [...this.served];
  }

  /** Asks the partitions in calls of PARTITIONS_PER_CALL (sent together); returns those with more due. */
  private async fire(asking: readonly Served[]): Promise<Served[]> {
    const calls: Array<Promise<Served[]>> = [];
    for (let i = 0; i < asking.length; i += PARTITIONS_PER_CALL)
      calls.push(this.fireSome(asking.slice(i, i + PARTITIONS_PER_CALL)));
    return (await Promise.all(calls)).flat();
  }

  private async fireSome(some: readonly Served[]): Promise<Served[]> {
    try {
      const { timers } = this;
      const at = this.now();
      const moved = timers.fireDueMany
        ? await timers.fireDueMany(some, at, BATCH)
        : await Promise.all(some.map((s) => timers.fireDue(s.partition, s.leaseToken, at, BATCH)));
      const more: Served[] = [];
      some.forEach((s, i) => {
        if (moved[i] === BATCH) more.push(s);
        else if ((moved[i] ?? 0) < 0) this.end(s); // the lease is gone
      });
      return more;
    } catch (err) {
      this.logger.warn({ err, partitions: some.map((s) => s.partition) }, 'firing timers failed; retrying');
      return [];
    }
  }

  private end(s: Served): void {
    this.served.delete(s);
    s.done();
  }
}
