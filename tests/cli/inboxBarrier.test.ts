import { compareStreamIds, inboxBarrier } from '../../src/cli/inboxBarrier';
import type { InboxRead, InboxStore } from '../../src/store/ports';

/** An inbox of ids per partition and a cursor each: just what the barrier reads. */
function inbox(items: Record<number, string[]>) {
  const cursors = new Map<number, string>();
  const pendingOf = (p: number) => (items[p] ?? []).filter((id) => compareStreamIds(id, cursors.get(p) ?? '0-0') > 0);
  const store: Pick<InboxStore, 'pendingCounts' | 'cursor' | 'readNew'> = {
    pendingCounts: async (ps) => ps.map((p) => pendingOf(p).length),
    cursor: async (p) => cursors.get(p) ?? '0-0',
    readNew: async (after, count) =>
      [...after].flatMap(([p, from]) =>
        (items[p] ?? [])
          .filter((id) => compareStreamIds(id, from) > 0)
          .slice(0, count)
          .map((id): InboxRead => ({ type: 'corrupt', id, partition: p, detail: 'test' })),
      ),
  };
  return { store, apply: (p: number, id: string) => cursors.set(p, id), items };
}

describe('inboxBarrier', () => {
  it('orders stream ids by time, then sequence', () => {
    expect(compareStreamIds('10-0', '9-5')).toBe(1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('0-0', '0-0')).toBe(0);
  });

  it('holds until every partition applied what was pending at its first call, not what came after', async () => {
    const many = Array.from({ length: 2_500 }, (_, i) => `5-${i}`);
    const box = inbox({ 0: ['1-0', '2-0'], 1: [], 2: many });
    const caughtUp = inboxBarrier(box.store, [0, 1, 2]);
    expect(await caughtUp()).toBe(false);
    box.items[0]?.push('3-0');
    box.apply(0, '2-0');
    expect(await caughtUp()).toBe(false);
    box.apply(2, '5-2498');
    expect(await caughtUp()).toBe(false);
    box.apply(2, '5-2499');
    expect(await caughtUp()).toBe(true);
  });

  it('is true at once when nothing is pending', async () => {
    expect(await inboxBarrier(inbox({ 0: [] }).store, [0])()).toBe(true);
  });
});
