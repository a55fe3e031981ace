import { join } from 'node:path';
import type { EffectOf } from '../../src/engine/effects';
import { DISCLOSURE_TEXT } from '../../src/engine/disclosureSettings';
import type { FlowSet } from '../../src/engine/flowSet';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { loadFlows } from '../../src/flows/loadFlows';
import { messageSchema } from '../../src/platform/sendApiSchema';
import { T0, text, textsIn, withStubbedRequests, type RequestStub } from '../engine/engineFixtures';

/**
 * The example flow that calls APIs (tests/fixtures/flows/requests), loaded and linted as the
 * service would, then run with stubbed answers: how conversation tests keep flows that call APIs
 * testable without the network.
 */
function load(): FlowSet {
  const outcome = loadFlows(join(__dirname, '..', 'fixtures', 'flows', 'requests'));
  if (!outcome.ok) throw new Error(outcome.problems.map((p) => p.message).join('\n'));
  return outcome.flowSet;
}

const flows = load();

/** A user who typed these, each answered (requests included) by `stub`. */
function chat(stub: RequestStub, ...typed: string[]): { state: UserState; said: string[]; effects: unknown[] } {
  let state = initialUserState();
  const said: string[] = [];
  const effects: unknown[] = [];
  typed.forEach((t, i) => {
    const r = withStubbedRequests(flows, state, text(t), T0 + i * 1000, stub);
    state = r.state;
    said.push(...textsIn(r.effects));
    effects.push(...r.effects);
  });
  return { state, said, effects };
}

const orders: Record<string, unknown> = { '104233': { order: { status: 'shipped', items: [{ name: 'Runner X' }] } } };
const shop: RequestStub = (req) => {
  const m = /\/api\/orders\/(\d+)$/.exec(req.url);
  if (m)
    return orders[m[1] ?? ''] ? { outcome: 'ok', json: orders[m[1] ?? ''], status: 200 } : { outcome: 'not_found', status: 404 };
  return {
    outcome: 'ok',
    json: { products: [{ name: 'Trail Pro', price: 119, summary: 'grippy', link: 'https://shop.example.com/trail-pro' }] },
  };
};

describe('the example order-status flow with a stubbed shop API', () => {
  test('found: the real status', () => {
    const { said } = chat(shop, 'order', '104233');
    expect(said).toEqual([
      // A first contact: the built-in disclosure (settings.yaml sets none) opens the first reply.
      `${DISCLOSURE_TEXT}\n\nWhat's your order number? It's the 6 digits in your confirmation email.`,
      'Let me check order 104233…',
      'Your order 104233 is shipped.',
      'Hi there! What can I do for you?',
    ]);
  });

  test('not found: asks again', () => {
    const { said } = chat(shop, 'order', '999999');
    expect(said.slice(-2)).toEqual([
      "I can't find order 999999. Could you check the number?",
      "What's your order number? It's the 6 digits in your confirmation email.",
    ]);
  });

  test.each(['failed', 'timeout'] as const)('%s: the shop is not answering', (outcome) => {
    const { said } = chat(() => ({ outcome }), 'order', '104233');
    expect(said.slice(-2)).toEqual([
      'The shop is not answering right now. Please try again in a few minutes.',
      'Hi there! What can I do for you?',
    ]);
  });

  test('the request carries the secret as a placeholder only', () => {
    const seen: Array<EffectOf<'request'>> = [];
    chat((req) => (seen.push(req), { outcome: 'ok', json: {} }), 'order', '104233');
    expect(seen.map((r) => [r.method, r.url, r.headers])).toEqual([
      ['GET', 'https://shop.example.com/api/orders/104233', { Authorization: 'Bearer {{secret.SHOP_API_TOKEN}}' }],
    ]);
  });

  test('products: cards from the answer, valid for the Send API, then the ok node', () => {
    const { said, effects } = chat(shop, 'shoes');
    const cards = effects.filter(
      (e) => typeof e === 'object' && e !== null && 'message' in e && 'attachment' in (e as { message: object }).message,
    );
    expect(cards).toHaveLength(1);
    expect(messageSchema.safeParse((cards[0] as { message: unknown }).message).success).toBe(true);
    expect(said).toEqual(['Tap a card to see more.']);
  });

  test('the lead goes to the CRM as a webhook, and the conversation does not wait', () => {
    const { said, effects } = chat(shop, 'menu', 'Get 10% off', 'ann@example.com');
    expect(effects.filter((e) => (e as { type: string }).type === 'webhook')).toEqual([
      expect.objectContaining({
        url: 'https://hooks.crm.example.com/leads',
        body: JSON.stringify({ email: 'ann@example.com', source: 'messenger', first_name: 'there' }),
      }),
    ]);
    expect(said.slice(-2)).toEqual(['Done! Your code is WELCOME10.', 'Hi there! What can I do for you?']);
  });
});

describe('the example flow: product cards from a catalog file', () => {
  const tapOf = (effects: unknown[], title: string): string => {
    for (const e of effects as Array<{
      type: string;
      message?: { attachment?: { payload?: { elements?: Array<{ buttons?: Array<{ title: string; payload?: string }> }> } } };
    }>) {
      for (const el of e.message?.attachment?.payload?.elements ?? [])
        for (const b of el.buttons ?? []) if (b.title === title && b.payload) return b.payload;
    }
    throw new Error(`no button ${title}`);
  };

  test('filtered by the size the user gave, sorted, valid for the Send API; a card button stores the product and goes on', () => {
    const { state, effects, said } = chat(shop, 'menu', 'By size', '42');
    const carousels = effects.filter((e) => (e as { message?: { attachment?: unknown } }).message?.attachment);
    expect(carousels).toHaveLength(1);
    const message = (carousels[0] as { message: { attachment: { payload: { elements: Array<{ title: string }> } } } }).message;
    expect(messageSchema.safeParse(message).success).toBe(true);
    expect(message.attachment.payload.elements.map((e) => e.title)).toEqual(['Runner X', 'Trail Pro']);
    expect(said.slice(-1)).toEqual(['In size 42:']);
    const payload = tapOf(effects, 'I want this');
    const r = withStubbedRequests(flows, state, { type: 'payload', payload, text: 'I want this' }, T0 + 10_000, shop);
    expect(textsIn(r.effects)).toEqual(["Good choice! I'll put runner-x aside for you.", 'Hi there! What can I do for you?']);
    expect(r.state.fields.product_id).toBe('runner-x');
  });

  test('no product in that size: the empty text, then its goto', () => {
    const { said } = chat(shop, 'menu', 'By size', '47');
    expect(said.slice(-2)).toEqual(['Nothing in size 47 right now.', 'Hi there! What can I do for you?']);
  });
});
