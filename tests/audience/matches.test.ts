import type { AudienceCard } from '../../src/audience/audienceCard';
import { audienceFilterSchema, type Condition } from '../../src/audience/audienceFilter';
import { matches } from '../../src/audience/matches';

/** Every operator of the filter model against one card, at a fixed now. */
const NOW = 1_780_000_000_000;
const H = 3_600_000;
const card: AudienceCard = {
  tags: ['vip', 'shoes'],
  fields: { city: 'Paris', age: 34, zip: '01234', score: '7.5', newsletter: true, email: 'Sam@Example.com' },
  consent: { offers: true, news: false },
  last: NOW - 3 * 24 * H,
  window: NOW + 5 * H,
  ref: 'summer-sale',
  src: 'ADS',
  ad: '6045246247433',
  flow: 'shop',
  node: 'checkout',
  thread: 'bot',
  mm: NOW + 24 * H,
};
const one = (c: Condition, over: Partial<AudienceCard> = {}) => matches({ ...card, ...over }, { all: [c] }, NOW);

describe('matches: one condition at a time', () => {
  it.each<[string, Condition, boolean]>([
    ['has tag', { tag: 'vip', has: true }, true],
    ['has tag (absent)', { tag: 'blocked', has: true }, false],
    ['has not tag', { tag: 'blocked', has: false }, true],
    ['has not tag (present)', { tag: 'vip', has: false }, false],
    ['equals text', { field: 'city', equals: 'Paris' }, true],
    ['equals is case-sensitive', { field: 'city', equals: 'paris' }, false],
    ['equals a number written as text', { field: 'age', equals: '34' }, true],
    ['equals keeps leading zeros', { field: 'zip', equals: '1234' }, false],
    ['equals a boolean', { field: 'newsletter', equals: 'true' }, true],
    ['equals a missing field', { field: 'plan', equals: 'gold' }, false],
    ['notEquals', { field: 'city', notEquals: 'Lyon' }, true],
    ['notEquals (same)', { field: 'city', notEquals: 'Paris' }, false],
    ['notEquals a missing field', { field: 'plan', notEquals: 'gold' }, true],
    ['in', { field: 'city', in: ['Lyon', 'Paris'] }, true],
    ['in (none)', { field: 'city', in: ['Lyon', 'Nice'] }, false],
    ['exists', { field: 'email', exists: true }, true],
    ['exists (missing)', { field: 'phone', exists: true }, false],
    ['missing', { field: 'phone', exists: false }, true],
    ['gt', { field: 'age', gt: 33 }, true],
    ['gt (equal)', { field: 'age', gt: 34 }, false],
    ['gte', { field: 'age', gte: 34 }, true],
    ['lt', { field: 'age', lt: 34 }, false],
    ['lte', { field: 'age', lte: 34 }, true],
    ['range on numeric text', { field: 'score', gte: 7, lt: 8 }, true],
    ['range on text that is no number', { field: 'city', gte: 0 }, false],
    ['range on a missing field', { field: 'plan', lt: 100 }, false],
    ['contains (any case)', { field: 'email', contains: 'example.COM' }, true],
    ['contains (absent)', { field: 'email', contains: 'gmail' }, false],
    ['contains on a number', { field: 'age', contains: '3' }, false],
    ['consent subscribed', { consent: 'offers', subscribed: true }, true],
    ['consent withdrawn', { consent: 'news', subscribed: false }, true],
    ['consent withdrawn, asked as subscribed', { consent: 'news', subscribed: true }, false],
    ['consent never asked counts as not subscribed', { consent: 'tips', subscribed: false }, true],
    ['window open', { window: 'open' }, true],
    ['window closed', { window: 'closed' }, false],
    ['closes within 6 h (5 h left)', { closesWithinHours: 6 }, true],
    ['closes within 4 h (5 h left)', { closesWithinHours: 4 }, false],
    ['last interaction within 4 days', { lastInteraction: { withinHours: 96 } }, true],
    ['last interaction within 2 days', { lastInteraction: { withinHours: 48 } }, false],
    ['last interaction older than 2 days', { lastInteraction: { olderThanHours: 48 } }, true],
    ['last interaction before a time', { lastInteraction: { before: NOW - 24 * H } }, true],
    ['last interaction after a time', { lastInteraction: { after: NOW - 24 * H } }, false],
    ['ref', { ref: 'summer-sale' }, true],
    ['ref (other)', { ref: 'winter' }, false],
    ['source, any case', { source: 'ads' }, true],
    ['source (other)', { source: 'SHORTLINK' }, false],
    ['ad id', { adId: '6045246247433' }, true],
    ['ad id (other)', { adId: '1' }, false],
    ['flow', { flow: 'shop' }, true],
    ['flow and node', { flow: 'shop', node: 'checkout' }, true],
    ['flow and another node', { flow: 'shop', node: 'menu' }, false],
    ['thread', { thread: 'bot' }, true],
    ['thread (other)', { thread: 'human' }, false],
    ['marketing token present', { marketingToken: true }, true],
    ['marketing token absent', { marketingToken: false }, false],
    [
      'any: one holds',
      {
        any: [
          { tag: 'nope', has: true },
          { field: 'city', equals: 'Paris' },
        ],
      },
      true,
    ],
    ['any: none holds', { any: [{ tag: 'nope', has: true }, { ref: 'winter' }] }, false],
  ])('%s', (_name, condition, expected) => {
    expect(one(condition)).toBe(expected);
  });

  it('window: closed and closing-within never match a window that has ended, nor one never opened', () => {
    expect(one({ window: 'closed' }, { window: NOW - 1 })).toBe(true);
    expect(one({ window: 'open' }, { window: NOW })).toBe(false); // ends now: closed
    expect(one({ closesWithinHours: 6 }, { window: NOW - 1 })).toBe(false);
    expect(one({ window: 'closed' }, { window: null })).toBe(true);
    expect(one({ closesWithinHours: 6, window: 'open' }, { window: NOW + 6 * H })).toBe(true); // the bound counts
  });

  it('never interacted: older than anything, within nothing', () => {
    expect(one({ lastInteraction: { olderThanHours: 1 } }, { last: null })).toBe(true);
    expect(one({ lastInteraction: { withinHours: 10_000 } }, { last: null })).toBe(false);
  });

  it('no referral on the card (or a card from before referrals): no source and no ad match', () => {
    expect(one({ source: 'ADS' }, { src: undefined, ad: undefined })).toBe(false);
    expect(one({ adId: '6045246247433' }, { ad: undefined })).toBe(false);
  });

  it('an expired marketing token is no token', () => {
    expect(one({ marketingToken: true }, { mm: NOW - 1 })).toBe(false);
    expect(one({ marketingToken: false }, { mm: null })).toBe(true);
  });

  it('all conditions must hold; none is everyone; a card past its retention expiry is no one', () => {
    expect(matches(card, { all: [] }, NOW)).toBe(true);
    expect(matches(card, { all: [{ tag: 'vip', has: true }, { window: 'open' }] }, NOW)).toBe(true);
    expect(matches(card, { all: [{ tag: 'vip', has: true }, { window: 'closed' }] }, NOW)).toBe(false);
    expect(matches({ ...card, exp: NOW }, { all: [] }, NOW)).toBe(false);
    expect(matches({ ...card, exp: NOW + 1 }, { all: [] }, NOW)).toBe(true);
  });
});

describe('the JSON filter model', () => {
  it('accepts every kind of condition, with defaults', () => {
    const parsed = audienceFilterSchema.parse({ all: [{ tag: 'vip' }, { any: [{ consent: 'offers', subscribed: true }] }] });
    expect(parsed.all[0]).toEqual({ tag: 'vip', has: true });
  });

  it.each<[string, unknown, string]>([
    ['an unknown kind', { all: [{ colour: 'red' }] }, 'expected a condition'],
    ['a field without an operator', { all: [{ field: 'city' }] }, 'needs an operator'],
    ['an unknown key', { all: [{ tag: 'vip', colour: 'red' }] }, 'colour'],
    ['a window without what', { all: [{ closesWithinHours: -1 }] }, ''],
    ['a thread state that does not exist', { all: [{ thread: 'robot' }] }, ''],
    ['not a list', { all: { tag: 'vip' } }, ''],
  ])('refuses %s', (_name, value, message) => {
    const parsed = audienceFilterSchema.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(message);
  });
});
