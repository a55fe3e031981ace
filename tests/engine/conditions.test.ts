import { conditionSchema } from '../../src/engine/flowSchema';
import { allHold, holds } from '../../src/engine/conditions';
import { initialUserState, type UserState } from '../../src/engine/userState';

const c = (o: unknown) => conditionSchema.parse(o);
const state: UserState = {
  ...initialUserState(),
  fields: { size: 42, plan: 'gold', vip: true, email: 'a@b.co' },
  tags: ['lead'],
  consent: { offers: { subscribed: true, at: 0, source: 'x' }, news: { subscribed: false, at: 0, source: 'x' } },
};
// Fake clock: Monday 2026-11-23 08:30 UTC = 09:30 in Paris, 03:30 in New York.
const MON_0830_UTC = Date.UTC(2026, 10, 23, 8, 30);

describe('conditions', () => {
  it.each([
    [{ field: 'size', gt: 40 }, true],
    [{ field: 'size', gte: 42, lte: 42 }, true],
    [{ field: 'size', lt: 42 }, false],
    [{ field: 'plan', equals: 'gold' }, true],
    [{ field: 'plan', not_equals: 'gold' }, false],
    [{ field: 'plan', in: ['silver', 'gold'] }, true],
    [{ field: 'email', matches: '@b\\.co$' }, true],
    [{ field: 'vip', equals: true }, true],
    [{ field: 'missing', exists: false }, true],
    [{ field: 'missing' }, false],
    [{ field: 'plan' }, true],
    [{ field: 'missing', not_equals: 'x' }, true],
    [{ tag: 'lead' }, true],
    [{ not_tag: 'lead' }, false],
    [{ subscribed: 'offers' }, true],
    [{ subscribed: 'news' }, false],
    [{ not_subscribed: 'unknown-topic' }, true],
  ])('%j → %s', (cond, expected) => {
    expect(holds(c(cond), state, MON_0830_UTC)).toBe(expected);
  });

  it.each([
    [{ between: ['09:00', '18:00'], tz: 'Europe/Paris' }, true],
    [{ between: ['09:00', '18:00'], tz: 'America/New_York' }, false],
    [{ between: ['22:00', '06:00'], tz: 'America/New_York' }, true],
    [{ days: ['mon'], tz: 'Europe/Paris' }, true],
    [{ days: ['sat', 'sun'] }, false],
    [{ between: ['08:30', '08:31'] }, true],
    [{ between: ['08:00', '08:30'] }, false],
  ])('time %j → %s (fake clock: Monday 08:30 UTC)', (time, expected) => {
    expect(holds(c({ time }), state, MON_0830_UTC)).toBe(expected);
  });

  it('a list of conditions must all hold', () => {
    expect(allHold([c({ tag: 'lead' }), c({ field: 'size', gt: 40 })], state, 0)).toBe(true);
    expect(allHold([c({ tag: 'lead' }), c({ field: 'size', gt: 50 })], state, 0)).toBe(false);
  });
});
