/**
 * catalogCards(): filters (equality, any-of, multi-value membership, ranges, text, {{field}}
 * values), sorts, the cut to the limit, Messenger's limits on the generated cards, and a property
 * test against a plain filter-and-sort over the products: the index finds exactly the same cards,
 * and every message it makes passes the Send API schema the fake Graph API checks.
 */
import fc from 'fast-check';
import { buildCatalog, productSchema, valueKey, type Catalog, type Product } from '../../src/engine/catalog';
import {
  catalogCards,
  catalogPayload,
  catalogQuerySchema,
  parseCatalogPayload,
  type CatalogQueryInput,
} from '../../src/engine/catalogCards';
import { normalize } from '../../src/engine/normalize';
import { messageSchema } from '../../src/platform/sendApiSchema';

const product = (p: Record<string, unknown>): Product => productSchema.parse(p);
const catalogOf = (products: Array<Record<string, unknown>>): Catalog => buildCatalog('shoes', products.map(product));
const query = (q: Omit<CatalogQueryInput, 'catalog'>) => catalogQuerySchema.parse({ catalog: 'shoes', ...q });
const ids = (c: Catalog, q: Omit<CatalogQueryInput, 'catalog'>, fields: Record<string, string | number> = {}) =>
  catalogCards(c, query(q), fields).productIds;
/** The generic template a node would send with these cards; null when there are none. */
const asMessage = (elements: unknown[]) =>
  elements.length === 0 ? null : { attachment: { type: 'template', payload: { template_type: 'generic', elements } } };

const shoes = catalogOf([
  {
    id: 'runner-x',
    title: 'Runner X',
    price: 89,
    currency: 'USD',
    url: 'https://shop.example.com/p/runner-x',
    category: 'running',
    sizes: [40, 41, 42],
  },
  { id: 'trail-pro', title: 'Trail Pro', price: 119, currency: 'USD', category: 'trail', sizes: [42, 43], waterproof: true },
  {
    id: 'walker',
    title: 'Daily Walker',
    price: 69,
    currency: 'USD',
    category: 'Walking',
    sizes: [38, 39],
    subtitle: 'All-day comfort',
  },
  { id: 'cafe-racer', title: 'Café Racer', subtitle: 'For the coffee run', category: 'running', sizes: ['42'] },
  { id: 'summit', title: 'Summit GTX', price: 169, currency: 'EUR', category: 'trail', sizes: 44, waterproof: true },
]);

describe('catalogCards: filters', () => {
  it('matches an attribute by equality, accents and case folded', () => {
    expect(ids(shoes, { where: { category: 'trail' } })).toEqual(['trail-pro', 'summit']);
    expect(ids(shoes, { where: { category: 'walking' } })).toEqual(['walker']);
    expect(ids(shoes, { text: 'CAFE' })).toEqual(['cafe-racer']);
  });

  it('finds a value in a multi-value attribute, numbers and numeric text alike, from the user fields', () => {
    const bySize = { where: { sizes: '{{shoe_size}}' } };
    expect(ids(shoes, bySize, { shoe_size: 42 })).toEqual(['runner-x', 'trail-pro', 'cafe-racer']);
    expect(ids(shoes, bySize, { shoe_size: '42.0' })).toEqual(['runner-x', 'trail-pro', 'cafe-racer']);
    expect(ids(shoes, bySize, { shoe_size: 44 })).toEqual(['summit']);
    expect(ids(shoes, bySize, { shoe_size: 47 })).toEqual([]);
  });

  it('combines conditions (all must hold) and any-of lists', () => {
    expect(ids(shoes, { where: { sizes: 42, category: 'running' } })).toEqual(['runner-x', 'cafe-racer']);
    expect(ids(shoes, { where: { category: ['walking', 'trail'] } })).toEqual(['trail-pro', 'walker', 'summit']);
    expect(ids(shoes, { where: { waterproof: true, sizes: [43, 44] } })).toEqual(['trail-pro', 'summit']);
    expect(ids(shoes, { where: { currency: 'eur' } })).toEqual(['summit']);
  });

  it('filters a price range (both ends included); products without a price fail a range', () => {
    expect(ids(shoes, { where: { price: { min: 89, max: 119 } } })).toEqual(['runner-x', 'trail-pro']);
    expect(ids(shoes, { where: { price: { max: '{{budget}}' } } }, { budget: '100' })).toEqual(['runner-x', 'walker']);
    expect(ids(shoes, { where: { price: 69 } })).toEqual(['walker']);
    const weights = catalogOf([
      { id: 'n', title: 'N', price: 1, grams: 250 },
      { id: 'list', title: 'L', price: 1, grams: [320, 280] },
      { id: 'text', title: 'T', price: 1, grams: 'heavy' },
      { id: 'none', title: 'X', price: 1 },
    ]);
    expect(ids(weights, { where: { grams: { max: 300 } } })).toEqual(['n', 'list']);
    expect(ids(weights, { where: { grams: { min: 300 } } })).toEqual(['list']);
    expect(ids(weights, { where: { grams: { min: 'lots' } } })).toEqual(['n', 'list', 'text', 'none']);
  });

  it('leaves out a condition whose field the user has not given', () => {
    const all = ['runner-x', 'trail-pro', 'walker', 'cafe-racer', 'summit'];
    expect(ids(shoes, { where: { sizes: '{{shoe_size}}', price: { max: '{{budget}}' } }, text: '{{q}}' })).toEqual(all);
    expect(ids(shoes, { where: { sizes: '{{shoe_size}}' } }, { shoe_size: '' })).toEqual(all);
  });

  it('matches nothing for an attribute no product has, or a value none has', () => {
    expect(catalogCards(shoes, query({ where: { colour: 'red' } }), {})).toEqual({ elements: [], productIds: [], more: false });
    expect(ids(shoes, { where: { category: 'hiking' } })).toEqual([]);
    expect(ids(shoes, { where: { category: 'trail' }, text: 'walker' })).toEqual([]);
  });
});

describe('catalogCards: order and cut', () => {
  it('sorts by price either way (products without a price last), by title, or keeps the catalog order', () => {
    expect(ids(shoes, { sort: 'price_asc' })).toEqual(['walker', 'runner-x', 'trail-pro', 'summit', 'cafe-racer']);
    expect(ids(shoes, { sort: 'price_desc' })).toEqual(['summit', 'trail-pro', 'runner-x', 'walker', 'cafe-racer']);
    expect(ids(shoes, { sort: 'title' })).toEqual(['cafe-racer', 'walker', 'runner-x', 'summit', 'trail-pro']);
    expect(ids(shoes, { where: { sizes: 42 }, sort: 'price_desc' })).toEqual(['trail-pro', 'runner-x', 'cafe-racer']);
  });

  it("cuts to the query's limit and to Messenger's 10 cards, saying whether more matched", () => {
    const many = catalogOf(
      Array.from({ length: 25 }, (_, i) => ({ id: `p${i}`, title: `Shoe ${i}`, price: 100 - i, kind: 'x' })),
    );
    const all = catalogCards(many, query({}), {});
    expect(all.elements).toHaveLength(10);
    expect(all.more).toBe(true);
    expect(catalogCards(many, query({ where: { kind: 'x' }, sort: 'price_asc', limit: 3 }), {})).toMatchObject({
      productIds: ['p24', 'p23', 'p22'],
      more: true,
    });
    expect(catalogCards(many, query({ where: { id: ['p1', 'p2'] } }), {}).more).toBe(false);
    expect(() => query({ limit: 11 })).toThrow();
  });
});

describe('catalogCards: the cards', () => {
  it('makes title, price · subtitle, image, the product page and the buttons', () => {
    const c = catalogOf([
      {
        id: 'runner-x',
        title: 'Runner X',
        subtitle: 'Light road runner',
        price: 89.5,
        currency: 'USD',
        image_url: 'https://shop.example.com/img/runner-x.jpg',
        url: 'https://shop.example.com/p/runner-x',
        color: 'black',
      },
    ]);
    const q = query({
      buttons: [
        { title: 'View', open: true },
        { title: 'Buy', goto: 'checkout' },
        { title: 'Cart', url: 'https://shop.example.com/cart?add={{id}}&c={{color}}' },
      ],
    });
    expect(catalogCards(c, q, {}).elements).toEqual([
      {
        title: 'Runner X',
        subtitle: '$89.50 · Light road runner',
        image_url: 'https://shop.example.com/img/runner-x.jpg',
        default_action: { type: 'web_url', url: 'https://shop.example.com/p/runner-x' },
        buttons: [
          { type: 'web_url', title: 'View', url: 'https://shop.example.com/p/runner-x' },
          { type: 'postback', title: 'Buy', payload: 'TS|catalog|shoes|1|runner-x' },
          { type: 'web_url', title: 'Cart', url: 'https://shop.example.com/cart?add=runner-x&c=black' },
        ],
      },
    ]);
    const custom = catalogCards(c, q, {}, { payload: (b, id) => `MINE|${b}|${id}` });
    expect(custom.elements[0]?.buttons?.[1]).toEqual({ type: 'postback', title: 'Buy', payload: 'MINE|1|runner-x' });
  });

  it('fills a subtitle template from the product, and percent-encodes values in link templates', () => {
    const c = catalogOf([{ id: 'a', title: 'A', price: 10, currency: 'EUR', sizes: [40, 41], note: 'x&y=z/#' }]);
    const cards = catalogCards(
      c,
      query({ subtitle: '{{price}} · sizes {{sizes}}', buttons: [{ title: 'Go', url: 'https://s.example.com/?n={{note}}' }] }),
      {},
    );
    expect(cards.elements[0]).toMatchObject({
      subtitle: '€10 · sizes 40, 41',
      buttons: [{ url: 'https://s.example.com/?n=x%26y%3Dz%2F%23' }],
    });
  });

  it('cuts titles, subtitles and button titles with an ellipsis instead of refusing them', () => {
    const long = 'Ultra 👟 '.repeat(20);
    const c = catalogOf([{ id: 'a', title: long, subtitle: long, url: 'https://s.example.com/a' }]);
    const [card] = catalogCards(c, query({ buttons: [{ title: 'A very long button title indeed', open: true }] }), {}).elements;
    expect([...(card?.title ?? '')]).toHaveLength(80);
    expect(card?.title.endsWith('…')).toBe(true);
    expect([...(card?.subtitle ?? '')]).toHaveLength(80);
    expect(card?.buttons?.[0]?.title).toBe('A very long button …');
    expect(messageSchema.safeParse(asMessage([card])).success).toBe(true);
  });

  it('leaves out URLs that are not https, buttons that need them, and cards left with only a title', () => {
    const c = catalogOf([
      { id: 'http', title: 'Plain http', image_url: 'http://shop.example.com/a.jpg', url: 'http://shop.example.com/a' },
      { id: 'js', title: 'Script', subtitle: 'kept', image_url: 'javascript:alert(1)', url: 'ftp://x' },
      { id: 'ok', title: 'Fine', image_url: 'https://shop.example.com/b.jpg' },
    ]);
    const open = catalogCards(
      c,
      query({
        buttons: [
          { title: 'View', open: true },
          { title: 'Link', url: '{{url}}' },
        ],
      }),
      {},
    );
    expect(open.productIds).toEqual(['js', 'ok']);
    // The product left out does not take a card's place: a limit of 2 still shows two cards.
    expect(catalogCards(c, query({ limit: 2 }), {}).productIds).toEqual(['js', 'ok']);
    expect(open.elements).toEqual([
      { title: 'Script', subtitle: 'kept' },
      { title: 'Fine', image_url: 'https://shop.example.com/b.jpg' },
    ]);
    // A postback button needs no URL: every product gets its card.
    const buy = catalogCards(c, query({ buttons: [{ title: 'Buy', goto: 'checkout' }] }), {});
    expect(buy.productIds).toEqual(['http', 'js', 'ok']);
    expect(messageSchema.safeParse(asMessage(buy.elements)).success).toBe(true);
  });

  it('round-trips the default payload', () => {
    expect(parseCatalogPayload(catalogPayload('shoes', 2, 'trail-pro'))).toEqual({
      catalog: 'shoes',
      button: 2,
      productId: 'trail-pro',
    });
    expect(parseCatalogPayload('TS|shop|shoes|s0b1')).toBeUndefined();
    expect(parseCatalogPayload('TS|catalog|shoes|x|trail-pro')).toBeUndefined();
  });
});

/** The plain reading of a query: every product tested, then sorted. What the index must agree with. */
function reference(products: readonly Product[], where: Record<string, string | number | string[]>, sort: string, min?: number) {
  const has = (p: Product, key: string, wanted: string | number) => {
    const v = key === 'id' ? p.id : p.attributes[key];
    const values = v === undefined ? [] : Array.isArray(v) ? v : [v];
    return values.some((x) => valueKey(x) === valueKey(wanted));
  };
  const kept = products
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => Object.entries(where).every(([k, w]) => (Array.isArray(w) ? w : [w]).some((x) => has(p, k, x))))
    .filter(({ p }) => min === undefined || (p.price !== undefined && p.price >= min));
  const price = (x: { p: Product; i: number }, dir: number) => (x.p.price === undefined ? Infinity : x.p.price * dir);
  if (sort === 'price_asc') kept.sort((a, b) => price(a, 1) - price(b, 1) || a.i - b.i);
  if (sort === 'price_desc') kept.sort((a, b) => price(a, -1) - price(b, -1) || a.i - b.i);
  return kept.map(({ p }) => p.id);
}

describe('catalogCards: the index agrees with a plain filter', () => {
  const arbProduct = (i: number) =>
    fc
      .record({
        title: fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s.trim() !== ''),
        price: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        image_url: fc.constantFrom('https://s.example.com/i.jpg', 'http://s.example.com/i.jpg', 'nope'),
        color: fc.constantFrom('red', 'Red', 'blue', 'Grün'),
        sizes: fc.uniqueArray(fc.integer({ min: 38, max: 46 }), { minLength: 1, maxLength: 5 }),
      })
      .map((r) => product({ id: `p${i}`, ...r, ...(r.price === undefined ? {} : { price: r.price }) }));

  // Small catalogs, and large ones whose posting lists are long enough to be walked in sorted order.
  it.each([
    [1, 40, 300],
    [300, 900, 25],
  ])(
    'finds the same products in the same order, and every message passes the Send API schema (%i to %i products)',
    (least, most, numRuns) => {
      fc.assert(
        fc.property(
          fc.integer({ min: least, max: most }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbProduct(i)))),
          fc.record({
            color: fc.option(fc.constantFrom('red', 'grun', 'BLUE', 'black'), { nil: undefined }),
            sizes: fc.option(
              fc.oneof(
                fc.integer({ min: 37, max: 46 }),
                fc.constant(['40', '44']).map((a) => [...a]),
              ),
              { nil: undefined },
            ),
            min: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
            sort: fc.constantFrom('catalog', 'price_asc', 'price_desc'),
            limit: fc.integer({ min: 1, max: 10 }),
          }),
          (products, q) => {
            const where: Record<string, string | number | string[]> = {};
            if (q.color !== undefined) where.color = q.color;
            if (q.sizes !== undefined) where.sizes = q.sizes;
            const c = buildCatalog('shoes', products);
            const result = catalogCards(
              c,
              query({
                where: { ...where, ...(q.min === undefined ? {} : { price: { min: q.min } }) },
                sort: q.sort as 'catalog',
                limit: q.limit,
                buttons: [{ title: 'Buy now, before it is gone', goto: 'buy' }],
              }),
              {},
            );
            const expected = reference(products, where, q.sort, q.min);
            expect(result.productIds).toEqual(expected.slice(0, q.limit));
            expect(result.more).toBe(expected.length > q.limit);
            const message = asMessage(result.elements);
            if (message) expect(messageSchema.safeParse(message).error).toBeUndefined();
          },
        ),
        { numRuns },
      );
    },
  );

  it('folds the filter values as keywords are folded', () => {
    expect(valueKey('Grün')).toBe(normalize('grun'));
    expect(valueKey(' 42.0 ')).toBe('42');
    expect(valueKey(true)).toBe('true');
  });
});
