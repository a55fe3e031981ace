import { buildCatalog, productSchema } from '../../src/engine/catalog';
import { buildFlowSet } from '../../src/engine/flowSet';
import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import { parseProductPayload, productPayload } from '../../src/engine/productCards';
import { transition } from '../../src/engine/transition';
import { initialUserState } from '../../src/engine/userState';
import { messageSchema } from '../../src/platform/sendApiSchema';
import { T0, tap, text, textsIn } from './engineFixtures';

const shoes = buildCatalog(
  'shoes',
  Array.from({ length: 30 }, (_, i) =>
    productSchema.parse({
      id: `shoe-${i}`,
      title: i === 0 ? `A very long name ${'x'.repeat(100)}` : `Shoe ${i}`,
      price: 50 + i,
      currency: 'USD',
      url: `https://shop.example.com/p/${i}`,
      sizes: i % 2 === 0 ? [40, 42] : [41],
    }),
  ),
);

const flow = flowSchema.parse({
  id: 'shop',
  start: 'cards',
  nodes: {
    cards: {
      say: [{ text: 'Our shoes in {{size}}:' }],
      products: {
        catalog: 'shoes',
        where: { sizes: '{{size}}' },
        sort: 'price_desc',
        buttons: [{ title: 'Pick', goto: 'picked', into: 'choice' }],
        empty: { text: 'None in {{size}}.', goto: 'menu' },
      },
    },
    picked: { say: [{ text: 'You picked {{choice}}.' }], end: true },
    menu: { say: [{ text: 'Menu' }], wait: true },
  },
});
const flows = (f = flow, catalogs = new Map([['shoes', shoes]])) =>
  buildFlowSet(
    [{ flow: f, version: 'v1', file: 'shop.yaml' }],
    settingsSchema.parse({ disclosure: { enabled: false } }),
    [],
    catalogs,
  );

const withSize = (size: number) => ({ ...initialUserState(), fields: { size } });
const carousel = (effects: ReturnType<typeof transition>['effects']) =>
  effects.flatMap((e) => (e.type === 'send' && 'attachment' in e.message ? [e.message] : []));

describe("a node's products", () => {
  test('a carousel of at most 10 cards, filtered by the user field, each within the Send API schema, after say', () => {
    const r = transition(flows(), withSize(40), text('hi'), T0);
    const [message] = carousel(r.effects);
    expect(message && messageSchema.safeParse(message).success).toBe(true);
    const elements =
      message && 'attachment' in message && 'elements' in message.attachment.payload ? message.attachment.payload.elements : [];
    expect(elements).toHaveLength(10);
    expect(elements.map((e) => e.title).slice(0, 2)).toEqual(['Shoe 28', 'Shoe 26']);
    expect(textsIn(r.effects)).toEqual(['Our shoes in 40:']);
    expect(r.state.position?.node).toBe('cards');
  });

  test('a tap on a card button stores the product id and goes on; a stale one is read as text', () => {
    const r = transition(flows(), withSize(41), text('hi'), T0);
    const payload = productPayload('shop', 'cards', 0, 'shoe-29');
    const picked = transition(flows(), r.state, tap(payload, 'Pick'), T0 + 1);
    expect(textsIn(picked.effects)).toEqual(['You picked shoe-29.']);
    expect(picked.state.fields.choice).toBe('shoe-29');
    const edited = flowSchema.parse({ ...flow, nodes: { ...flow.nodes, cards: { say: [{ text: 'Gone' }], wait: true } } });
    const stale = transition(flows(edited), r.state, tap(payload, 'Pick'), T0 + 1);
    expect(stale.state.fields.choice).toBeUndefined();
    expect(parseProductPayload(payload)).toEqual({ flow: 'shop', node: 'cards', button: 0, productId: 'shoe-29' });
    expect(parseProductPayload('TS|shop|cards|s0q1')).toBeUndefined();
  });

  test('nothing matches, or the catalog is gone: the empty text, then its goto', () => {
    for (const fs of [flows(), flows(flow, new Map())]) {
      const r = transition(fs, withSize(47), text('hi'), T0);
      expect(carousel(r.effects)).toEqual([]);
      expect(textsIn(r.effects)).toEqual(['Our shoes in 47:', 'None in 47.', 'Menu']);
    }
  });
});
