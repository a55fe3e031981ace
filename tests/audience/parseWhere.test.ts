import { audienceFilterSchema } from '../../src/audience/audienceFilter';
import { parseWhere } from '../../src/audience/parseWhere';

/** The `--where` syntax: each accepted form, and errors that name the clause and list the forms. */
describe('parseWhere', () => {
  it.each<[string, unknown]>([
    ['tag=vip', { tag: 'vip', has: true }],
    ['tag!=blocked', { tag: 'blocked', has: false }],
    ['field.city=Paris', { field: 'city', equals: 'Paris' }],
    ['field.city = New York', { field: 'city', equals: 'New York' }],
    ['field.city!=Lyon', { field: 'city', notEquals: 'Lyon' }],
    ['field.age>=18', { field: 'age', gte: 18 }],
    ['field.age>18', { field: 'age', gt: 18 }],
    ['field.age<65.5', { field: 'age', lt: 65.5 }],
    ['field.age<=65', { field: 'age', lte: 65 }],
    ['field.plan in gold,silver', { field: 'plan', in: ['gold', 'silver'] }],
    ['field.plan in gold, silver', { field: 'plan', in: ['gold', 'silver'] }],
    ['field.email exists', { field: 'email', exists: true }],
    ['field.phone missing', { field: 'phone', exists: false }],
    ['field.note contains a=b', { field: 'note', contains: 'a=b' }],
    ['consent.offers=yes', { consent: 'offers', subscribed: true }],
    ['consent.offers=no', { consent: 'offers', subscribed: false }],
    ['window=open', { window: 'open' }],
    ['window=closed', { window: 'closed' }],
    ['window<6h', { closesWithinHours: 6 }],
    ['window<2d', { closesWithinHours: 48 }],
    ['last<7d', { lastInteraction: { withinHours: 168 } }],
    ['last>12h', { lastInteraction: { olderThanHours: 12 } }],
    ['ref=summer-sale', { ref: 'summer-sale' }],
    ['source=ads', { source: 'ads' }],
    ['source=CUSTOMER_CHAT_PLUGIN', { source: 'CUSTOMER_CHAT_PLUGIN' }],
    ['ad=6045246247433', { adId: '6045246247433' }],
    ['flow=shop', { flow: 'shop' }],
    ['node=shop/checkout', { flow: 'shop', node: 'checkout' }],
    ['thread=human', { thread: 'human' }],
    ['mmtoken=yes', { marketingToken: true }],
  ])('%s', (clause, condition) => {
    const parsed = parseWhere([clause]);
    expect(parsed).toEqual({ ok: true, filter: { all: [condition] } });
    // What the parser makes is a valid filter of the JSON model.
    expect(audienceFilterSchema.safeParse(parsed.ok ? parsed.filter : null).success).toBe(true);
  });

  it('ANDs the clauses in order; no clause is everyone', () => {
    expect(parseWhere(['tag=vip', 'window=open'])).toEqual({
      ok: true,
      filter: { all: [{ tag: 'vip', has: true }, { window: 'open' }] },
    });
    expect(parseWhere([])).toEqual({ ok: true, filter: { all: [] } });
  });

  it.each<[string, string]>([
    ['field.age>=eighteen', '"eighteen" is not a number'],
    ['field.plan in gold,,silver', 'an empty value'],
    ['field.age', 'field.NAME then an operator'],
    ['consent.offers=maybe', '"maybe" is not yes or no'],
    ['consent=yes', 'consent.TOPIC=yes'],
    ['window=ajar', '"ajar" is not open or closed'],
    ['window<soon', 'not a duration'],
    ['last<7 weeks', 'not a duration'],
    ['last=7d', '"last" takes last<… or last>…'],
    ['node=checkout', 'not FLOW/NODE'],
    ['thread=robot', 'not one of bot, handing_over, human, paused'],
    ['colour=red', '"colour" is not something to filter on'],
    ['tag.x=y', 'only field. and consent.'],
    ['tag>vip', '"tag" takes tag=… or tag!=…'],
    ['hello', 'not a clause of any accepted form'],
    ['  ', 'empty'],
  ])('refuses %s, naming the clause and the forms', (clause, why) => {
    const parsed = parseWhere(['tag=vip', clause]);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems[0]?.startsWith(`--where "${clause}": `)).toBe(true);
    expect(parsed.problems[0]).toContain(why);
    expect(parsed.problems.at(-1)).toContain('Accepted forms:');
    expect(parsed.problems.at(-1)).toContain('field.NAME in A,B,C');
  });

  it('A | B is either one (JSON any); a bad alternative names itself', () => {
    expect(parseWhere(['tag=vip | field.plan in gold,silver'])).toEqual({
      ok: true,
      filter: {
        all: [
          {
            any: [
              { tag: 'vip', has: true },
              { field: 'plan', in: ['gold', 'silver'] },
            ],
          },
        ],
      },
    });
    // Without spaces around it the bar is part of a value.
    expect(parseWhere(['field.note contains a|b'])).toEqual({ ok: true, filter: { all: [{ field: 'note', contains: 'a|b' }] } });
    const bad = parseWhere(['tag=vip | window=ajar']);
    expect(bad.ok ? '' : bad.problems[0]).toBe('--where "tag=vip | window=ajar": "window=ajar": "ajar" is not open or closed');
  });

  it('reports every bad clause, not just the first', () => {
    const parsed = parseWhere(['tag>x', 'window=ajar', 'tag=ok']);
    expect(parsed.ok ? [] : parsed.problems.filter((p) => p.startsWith('--where'))).toHaveLength(2);
  });
});
