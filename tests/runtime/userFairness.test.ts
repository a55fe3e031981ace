import { BlockedUsers, ReplyLimiter } from '../../src/runtime/userFairness';

describe('BlockedUsers', () => {
  it('a wait that is over no longer counts: nextIn names only users still waiting', () => {
    const blocked = new BlockedUsers({ baseMs: 100, capMs: 100 });
    blocked.failed('gone', 'e1', 0); // waits < 100 ms, then never looked at again
    expect(blocked.nextIn(1_000)).toBeUndefined(); // before: 1 ms, for ever
    blocked.failed('still', 'e2', 1_000);
    const next = blocked.nextIn(1_000);
    expect(next).toBeGreaterThanOrEqual(0);
    expect(next).toBeLessThan(100);
  });
});

describe('ReplyLimiter', () => {
  it('answers a burst, then refills at the rate; one decision per event', () => {
    const limiter = new ReplyLimiter({ perMinute: 60, burst: 2 });
    expect(limiter.answers('u', 'i1', 0).answered).toBe(true);
    expect(limiter.answers('u', 'i1', 0)).toEqual({ answered: true, fresh: false });
    expect(limiter.answers('u', 'i2', 0).answered).toBe(true);
    expect(limiter.answers('u', 'i3', 0)).toEqual({ answered: false, fresh: true });
    expect(limiter.answers('u', 'i4', 1_000).answered).toBe(true); // one token a second
  });
});
