import type { InboxStore } from '../store/ports';

/** Redis stream ids ("<ms>-<seq>") in order: -1, 0 or 1. */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return Math.sign(am - bm || as - bs);
}

const PAGE = 1_000;

/**
 * A barrier on the users' lanes: the first call notes, per partition, the last inbox item not yet
 * applied; it then answers true once every partition's cursor has reached its noted item. Why:
 * the fan-out marks a partition walked when it has appended the broadcast's items, before the
 * lanes apply them (only then are they counted as targeted), so "walked and nothing in flight"
 * can hold for a moment while the counters are still at 0.
 */
export function inboxBarrier(inbox: Pick<InboxStore, 'pendingCounts' | 'cursor' | 'readNew'>, partitions: readonly number[]) {
  let noted: Map<number, string> | undefined;
  const note = async (): Promise<Map<number, string>> => {
    const pending = await inboxPending(inbox, partitions);
    const last = new Map<number, string>();
    let after = new Map(await Promise.all(pending.map(async (p) => [p, await inbox.cursor(p)] as const)));
    // Page through what is pending (the fan-out keeps it small) to its last id; a partition is
    // done when a page comes back short.
    while (after.size > 0) {
      const read = await inbox.readNew(after, PAGE, 1);
      const next = new Map<number, string>();
      for (const [p] of after) {
        const items = read.filter((r) => r.partition === p);
        const tail = items.at(-1);
        if (tail) last.set(p, tail.id);
        if (tail && items.length >= PAGE) next.set(p, tail.id);
      }
      after = next;
    }
    return last;
  };
  return async (): Promise<boolean> => {
    noted ??= await note();
    for (const [p, id] of noted) if (compareStreamIds(await inbox.cursor(p), id) < 0) return false;
    return true;
  };
}

async function inboxPending(inbox: Pick<InboxStore, 'pendingCounts'>, partitions: readonly number[]): Promise<number[]> {
  const counts = await inbox.pendingCounts(partitions);
  return partitions.filter((_, i) => (counts[i] ?? 0) > 0);
}
