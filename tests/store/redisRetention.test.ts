import type { CommitItem, InboxRead } from '../../src/store/ports';
import { hiAppend } from '../support/inboxRecords';
import { redisFixture } from '../support/redisFixture';

/**
 * Inactive-user retention on Redis, read from the keys themselves: the commit gives the user's state
 * and delivery-facts keys the expiry the runtime computed (PEXPIREAT), a commit without one makes
 * them permanent again, and delivery facts recorded later take the state's expiry. (The contract
 * suite checks that an expired user is gone on both stores; here nothing has to wait.)
 */
describe('Redis: inactive-user retention as key expiries', () => {
  const { keys, raw, store } = redisFixture('retention');
  const P = 2;
  const USER = 'page:u';
  const expiresAt = async (key: string): Promise<number> => Number(await raw.sendCommand(['PEXPIRETIME', key]));

  it('commits set, move and remove the expiry of the state and delivery keys together', async () => {
    const s = store();
    const requests = [1, 2, 3].map((n) => hiAppend(`r-${n}`, n, P));
    await s.inbox.append(requests);
    const reads = await s.inbox.readNew(new Map([[P, '0-0']]), 10, 10);
    const token = (await s.leases.acquire(P, 'w', 10_000)) as string;
    const item = (read: InboxRead | undefined, version: number, expireAt?: number): CommitItem => ({
      itemId: read?.id as string,
      userKey: USER,
      expectedVersion: version,
      data: { n: version },
      effects: [],
      ...(expireAt === undefined ? {} : { expireAt }),
    });
    const state = keys.state(P, USER);
    const delivery = keys.delivery(P, USER);

    // Facts about a user with no state yet are kept (-1: no expiry).
    await s.states.markUnreachable(P, USER, 5);
    expect(await expiresAt(delivery)).toBe(-1);

    const inAnHour = Date.now() + 3_600_000;
    await s.states.commit({ partition: P, leaseToken: token, items: [item(reads[0], 0, inAnHour)] });
    expect(await expiresAt(state)).toBe(inAnHour);
    expect(await expiresAt(delivery)).toBe(inAnHour);

    // The setting switched off: the next write makes both permanent again.
    await s.states.commit({ partition: P, leaseToken: token, items: [item(reads[1], 1)] });
    expect(await expiresAt(state)).toBe(-1);
    expect(await expiresAt(delivery)).toBe(-1);

    const inADay = Date.now() + 86_400_000;
    await s.states.commit({ partition: P, leaseToken: token, items: [item(reads[2], 2, inADay)] });
    expect(await expiresAt(state)).toBe(inADay);
    // Delivery facts written after the commit take the state's expiry (to the millisecond, give or
    // take the time between Redis's PTTL and PEXPIRE inside one script).
    await raw.del(delivery);
    await s.states.markUnreachable(P, USER, 6);
    expect(Math.abs((await expiresAt(delivery)) - inADay)).toBeLessThanOrEqual(5);
    expect(await s.states.deliveryFacts(P, USER)).toEqual({ unreachableAt: 6 });
  });
});
