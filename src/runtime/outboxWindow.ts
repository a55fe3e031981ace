import { streamIdAfter } from '../store/records';

/**
 * The entries of one partition's outbox that are read but not yet passed by the cursor, in outbox
 * order, and which of them are done. Entries of different users finish out of order; the cursor
 * may only pass a run of done entries, so a crash never skips an entry that was not delivered.
 */
export class OutboxWindow {
  private readonly pending: string[] = [];
  private readonly done = new Set<string>();

  constructor(private cursor: string) {}

  /** The last entry the cursor has passed. */
  get position(): string {
    return this.cursor;
  }

  /** Adds ids read from the outbox (in order); ids already known or passed are ignored. */
  track(ids: readonly string[]): void {
    for (const id of ids) if (streamIdAfter(id, this.pending.at(-1) ?? this.cursor)) this.pending.push(id);
  }

  /**
   * Reconciles with a fresh read from the cursor (`ids` in order; `complete` when the read was not
   * cut short by its count). An entry read before, not finished here and gone now was removed by
   * hand (an entry no release can deliver): it counts as done, so the cursor can pass it.
   */
  sync(ids: readonly string[], complete: boolean): void {
    const present = new Set(ids);
    const last = ids.at(-1);
    const covered = (id: string) => complete || (last !== undefined && !streamIdAfter(id, last));
    for (const id of this.pending.filter((p) => !this.done.has(p) && !present.has(p) && covered(p))) this.finish(id);
  }

  /** Marks an entry done; returns the new cursor if the run of done entries at the front grew. */
  finish(id: string): string | undefined {
    this.done.add(id);
    let moved: string | undefined;
    while (this.pending.length > 0 && this.done.has(this.pending[0] as string)) {
      moved = this.pending.shift() as string;
      this.done.delete(moved);
    }
    if (moved !== undefined) this.cursor = moved;
    return moved;
  }
}
