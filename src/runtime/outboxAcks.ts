import type { OutboxCursorMove, OutboxDone } from '../store/ports';
import { streamIdAfter } from '../store/records';

/** Records a batch of done entries and the cursor move; true when recorded, false when the lease is gone. */
export type AckFlush = (done: readonly OutboxDone[], cursor: OutboxCursorMove) => Promise<boolean>;

interface Pending {
  readonly done: readonly OutboxDone[];
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
  ack(done: readonly OutboxDone[], passed: string | undefined): Promise<boolean> {
    if (done.length === 0) return Promise.resolve(true);
    // The furthest wins: acks retried after a failed flush may come back in any order.
    this.cursor = furthest(this.cursor, passed);
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
        batch.flatMap((p) => p.done),
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

/** The later of two stream ids (either may be absent). */
export const furthest = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined || !streamIdAfter(b, a) ? a : b;

/**
 * A lane's done entries whose ack may wait for the lane's next one: seen markers and typing
 * indicators (one sent again after a crash costs nothing), so a reply and the seen marker before
 * it are recorded in one store call. They count as done in the outbox window only when they are
 * acked (see OutboxSender.flush): the cursor must never pass an entry still in the outbox, or a
 * crash would leave it there for good, behind the cursor. Taken whole with `splice(0)`.
 */
export type AckCarry = OutboxDone[];
