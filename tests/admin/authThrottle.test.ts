import { AuthThrottle } from '../../src/admin/authThrottle';

describe('AuthThrottle', () => {
  let clock = 0;
  const throttle = (maxAddresses = 100) => new AuthThrottle({ maxFailures: 3, windowMs: 60_000, maxAddresses, now: () => clock });
  beforeEach(() => (clock = 1_000_000));

  it('blocks an address after maxFailures in a window, for the rest of that window only', () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) {
      expect(t.blockedFor('a')).toBe(0);
      t.fail('a');
    }
    clock += 20_000;
    expect(t.blockedFor('a')).toBe(40_000);
    expect(t.blockedFor('b')).toBe(0);
    clock += 40_000;
    expect(t.blockedFor('a')).toBe(0);
    t.fail('a'); // a new window starts with one failure
    expect(t.blockedFor('a')).toBe(0);
  });

  it('remembers at most maxAddresses, forgetting the oldest window first', () => {
    const t = throttle(1000);
    for (let i = 0; i < 3; i++) t.fail('first');
    for (let i = 0; i < 50_000; i++) {
      clock += 1;
      t.fail(`flood-${i}`);
    }
    expect(t.size).toBe(1000);
    expect(t.blockedFor('first')).toBe(0); // evicted: the bound is worth more than one address's count
    for (let i = 0; i < 3; i++) t.fail('flood-49999');
    expect(t.blockedFor('flood-49999')).toBeGreaterThan(0);
  });
});
