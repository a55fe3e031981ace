import type { OutboxCursorMove, OutboxDone } from '../store/ports';
import { streamIdAfter } from '../store/records';

/** Records a batch of done entries and the cursor move; true when recorded, false when the lease is gone. */
export type AckFlush = (done: readonly OutboxDone[], cursor: OutboxCursorMove) => Promise<boolean>;

interface Pending {
  readonly done: OutboxDone;
  readonly resolve: (recorded: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit of one partition's outbox acks: entries the sender's lanes finish while an ack is
 * on its way to the store are recorded together by the next one, so a busy partition makes one
 * store call per batch rather than one per entry. Each lane still waits until its own entry is
 * recorded before it sends the next, so after a crash no more entries can go twice than before
 * (those in flight, at most one per lane).
 */
export class OutboxAcks {
  private queue: Pending[] = [];
  /** The furthest cursor position a queued entry let the cursor pass to (OutboxWindow.finish). */
  private cursor: string | undefined;
  private flushing = false;

  constructor(private readonly flush: AckFlush) {}

  /** Records `done` (and moves the cursor to `passed` if given) with whatever else is waiting. */
  ack(done: OutboxDone, passed: string | undefined): Promise<boolean> {
    // The furthest wins: acks retried after a failed flush may come back in any order.
    if (passed !== undefined && (this.cursor === undefined || streamIdAfter(passed, this.cursor))) this.cursor = passed;
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ done, resolve, reject });
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    const cursor: OutboxCursorMove = this.cursor === undefined ? 'stay' : { to: this.cursor };
    this.queue = [];
    this.cursor = undefined;
    try {
      const recorded = await this.flush(
        batch.map((p) => p.done),
        cursor,
      );
      batch.forEach((p) => p.resolve(recorded));
    } catch (err) {
      batch.forEach((p) => p.reject(err));
    } finally {
      this.flushing = false;
      void this.next();
    }
  }
}
