import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** Either way a record can be from a newer Talkshop: a kind this code does not know, or a later format. */
export interface HeldReason {
  readonly reason: 'kind' | 'version';
  /** The unknown kind or version, for the log. */
  readonly detail: string;
}

/** Remembered per process; past this many the memory starts over (at worst one more log line each). */
const REMEMBERED = 10_000;

/**
 * The records a newer Talkshop wrote that this process met and left in place (during a rolling
 * deploy, until a newer worker holds the partition). Each is counted and logged once, however
 * often its lane looks at it again.
 */
export class HeldRecords {
  private readonly seen = new Set<string>();

  constructor(
    private readonly where: 'inbox' | 'outbox',
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  note(partition: number, id: string, why: HeldReason): void {
    const key = `${partition}:${id}`;
    if (this.seen.has(key)) return;
    if (this.seen.size >= REMEMBERED) this.seen.clear();
    this.seen.add(key);
    this.metrics.recordsHeld.inc({ store: this.where, reason: why.reason });
    this.logger.warn(
      { partition, id, store: this.where, reason: why.reason, detail: why.detail },
      this.where === 'inbox'
        ? 'inbox item written by a newer Talkshop; the partition waits at it for a worker that knows it'
        : "outbox entry written by a newer Talkshop; left for a worker that knows it, this user's deliveries wait",
    );
  }
}

/** The pause before the `streak`-th look again: 0.5 s, doubling, at most `maxMs` (default 30 s). */
export const heldRetryMs = (streak: number, maxMs = 30_000): number => Math.min(maxMs, 250 * 2 ** Math.max(1, streak));
