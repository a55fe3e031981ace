import { OutboxWindow } from '../../src/runtime/outboxWindow';

describe('OutboxWindow', () => {
  it('moves the cursor only over a run of done entries, whatever order they finish in', () => {
    const w = new OutboxWindow('0-0');
    w.track(['1-0', '2-0', '3-0', '4-0']);
    expect(w.finish('2-0')).toBeUndefined(); // 1-0 still in flight: the cursor stays
    expect(w.finish('4-0')).toBeUndefined();
    expect(w.position).toBe('0-0');
    expect(w.finish('1-0')).toBe('2-0'); // 1 and 2 are done now
    expect(w.finish('3-0')).toBe('4-0');
    expect(w.position).toBe('4-0');
  });

  it('ignores ids it already tracks or has passed, and keeps stream order across reads', () => {
    const w = new OutboxWindow('5-0');
    w.track(['4-0', '6-0', '7-0']);
    w.track(['6-0', '7-0', '10-0']); // a re-read of the same entries plus a new one
    expect(w.finish('7-0')).toBeUndefined();
    expect(w.finish('6-0')).toBe('7-0');
    expect(w.finish('10-0')).toBe('10-0');
    w.track(['10-0', '11-0']); // a passed entry read again is not tracked again
    expect(w.finish('11-0')).toBe('11-0');
  });

  it('counts an entry removed from the outbox by someone else as done, once a fresh read covers where it was', () => {
    const w = new OutboxWindow('0-0');
    w.track(['1-0', '2-0', '3-0']);
    expect(w.finish('2-0')).toBeUndefined(); // 1-0 waits (e.g. a newer release wrote it)
    w.sync(['1-0', '3-0'], true); // still there: nothing changes
    expect(w.position).toBe('0-0');
    w.sync(['3-0'], false); // gone, but a cut read that ends at 3-0 still covers 1-0
    expect(w.position).toBe('2-0');
    expect(w.finish('3-0')).toBe('3-0');
    w.track(['4-0', '5-0']);
    w.sync(['4-0'], false); // 5-0 lies beyond a cut read: not known to be gone
    expect(w.position).toBe('3-0');
  });
});
