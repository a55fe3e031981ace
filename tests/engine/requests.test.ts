import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import { REQUEST_MARGIN_MS } from '../../src/engine/requestBuild';
import { transition, type TransitionResult } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { messageSchema } from '../../src/platform/sendApiSchema';
import { T0, flowSet, requestResult, requestsIn, tap, text, textsIn } from './engineFixtures';

const orders = {
  id: 'orders',
  start: 'menu',
  triggers: [
    { keyword: 'order', goto: 'ask_number' },
    { keyword: 'shipping', goto: 'shipping' },
  ],
  nodes: {
    menu: { say: [{ text: 'Menu', quick_replies: [{ title: 'Order status', goto: 'ask_number' }] }] },
    ask_number: {
      ask: { text: 'Your order number?', capture: 'text', into: 'order_number', on_fail: 'menu', next: 'lookup' },
    },
    lookup: {
      say: [{ text: 'Let me check…' }],
      request: {
        url: 'https://shop.example.com/orders/{{order_number}}?q={{order_number}}',
        headers: { Authorization: 'Bearer {{secret.SHOP_API_TOKEN}}', 'X-Customer': '{{order_number}}' },
        timeout_ms: 3000,
        save: { order_status: 'order.status', first_item: 'items[0].name', eta: 'order.eta' },
        ok: 'found',
        not_found: 'unknown',
        failed: 'down',
        timeout: 'slow',
      },
    },
    found: {
      say: [
        { text: 'Your order is {{order_status|unknown}} ({{first_item|?}})', quick_replies: [{ title: 'Menu', goto: 'menu' }] },
      ],
    },
    unknown: { say: [{ text: 'No such order.' }], next: 'menu' },
    down: { say: [{ text: 'The shop is not answering.' }], next: 'menu' },
    slow: { say: [{ text: 'The shop is slow today.' }], next: 'menu' },
    shipping: { say: [{ text: 'Free shipping over $50.' }], end: true },
    bare: {
      request: { url: 'https://shop.example.com/ping', ok: 'menu' },
    },
  },
};

const settings = { requests: { hosts: [{ host: 'shop.example.com' }], secrets: ['SHOP_API_TOKEN'] } };
const flows = flowSet([orders], settings);

/** Runs events in order from `state`, one ms apart. */
function run(state: UserState, ...events: EngineEvent[]): TransitionResult {
  let r: TransitionResult = { state, effects: [] };
  events.forEach((e, i) => {
    r = transition(flows, r.state, e, T0 + i);
  });
  return r;
}

/** A user who asked for order `n` and waits for the lookup. */
function waiting(n = '104233'): { state: UserState; effects: readonly EngineEffect[]; id: string } {
  const r = run(initialUserState(), text('order'), text(n));
  const [req] = requestsIn(r.effects);
  if (!req) throw new Error('no request went out');
  return { state: r.state, effects: r.effects, id: req.id };
}

describe('a request node', () => {
  test('speaks, shows typing until the result, and sends one request effect with the filled URL and headers', () => {
    const { state, effects, id } = waiting();
    expect(textsIn(effects)).toEqual(['Let me check…']);
    const kinds = effects.map((e) => e.type);
    expect(kinds.slice(-2)).toEqual(['typing', 'request']);
    expect(effects[effects.length - 2]).toEqual({ type: 'typing', ms: 0, request: id });
    expect(requestsIn(effects)).toEqual([
      {
        type: 'request',
        id,
        name: 'orders/lookup',
        method: 'GET',
        url: 'https://shop.example.com/orders/104233?q=104233',
        headers: { Authorization: 'Bearer {{secret.SHOP_API_TOKEN}}', 'X-Customer': '104233' },
        timeoutMs: 3000,
      },
    ]);
    expect(state.request).toEqual({
      id,
      flow: 'orders',
      version: 'v1',
      node: 'lookup',
      startedAt: T0 + 1,
      dueAt: T0 + 1 + 3000 + REQUEST_MARGIN_MS,
      waitSaid: false,
    });
  });

  test('ids are unique per user and derived from the inputs: the same event on the same state makes the same id', () => {
    const a = waiting('1');
    const again = transition(flows, run(initialUserState(), text('order')).state, text('1'), T0 + 1);
    expect(requestsIn(again.effects)[0]?.id).toBe(a.id);
    const b = run(a.state, text('menu'), text('order'), text('2'));
    expect(requestsIn(b.effects)[0]?.id).not.toBe(a.id);
  });

  test.each([
    ['a/b', 'a%2Fb'],
    ['what?x=1', 'what%3Fx%3D1'],
    ['#12', '%2312'],
    ['two words', 'two%20words'],
    ['commande-été-北京', 'commande-%C3%A9t%C3%A9-%E5%8C%97%E4%BA%AC'],
    ['@evil.example.com', '%40evil.example.com'],
  ])('a field %j lands URL-encoded in the path segment and the query value', (typed, encoded) => {
    const { effects } = waiting(typed);
    const url = requestsIn(effects)[0]?.url ?? '';
    expect(url).toBe(`https://shop.example.com/orders/${encoded}?q=${encoded}`);
    expect(new URL(url).hostname).toBe('shop.example.com');
    expect(decodeURIComponent(new URL(url).pathname.split('/')[2] ?? '')).toBe(typed);
    expect(new URL(url).searchParams.get('q')).toBe(typed);
  });

  test('a header value from the user loses line breaks and braces: it cannot add a header or become a secret placeholder', () => {
    const { effects } = waiting('1\r\nX-Evil: 1 {{secret.SHOP_API_TOKEN}}');
    expect(requestsIn(effects)[0]?.headers['X-Customer']).toBe('1X-Evil: 1 secret.SHOP_API_TOKEN');
  });

  test('a URL too long once filled is not sent: the failed branch runs at once', () => {
    const r = run(initialUserState(), text('order'), text('€'.repeat(1000)));
    expect(requestsIn(r.effects)).toEqual([]);
    expect(textsIn(r.effects).slice(-2)).toEqual(['The shop is not answering.', 'Menu']);
    expect(r.state.request).toBeNull();
  });

  test('the default method is GET and the default timeout is settings requests.timeout_ms', () => {
    const r = transition(
      flowSet([{ ...orders, start: 'bare' }], { requests: { ...settings.requests, timeout_ms: 1234 } }),
      initialUserState(),
      text('hi'),
      T0,
    );
    expect(requestsIn(r.effects)).toEqual([expect.objectContaining({ method: 'GET', timeoutMs: 1234, headers: {} })]);
  });
});

describe('the result of a request', () => {
  test('ok: maps the JSON into fields and continues at ok', () => {
    const { state, id } = waiting();
    const json = { order: { status: 'shipped', eta: null }, items: [{ name: 'Runner X' }] };
    const r = transition(flows, state, requestResult(id, 'ok', json, 200), T0 + 10);
    expect(textsIn(r.effects)).toEqual(['Your order is shipped (Runner X)']);
    expect(r.state.fields).toMatchObject({ order_status: 'shipped', first_item: 'Runner X' });
    expect(r.state.fields).not.toHaveProperty('eta'); // null is not a value
    expect(r.state.request).toBeNull();
    expect(r.state.position?.node).toBe('found');
    // Not the customer's action: no "seen", no window change.
    expect(r.effects.some((e) => e.type === 'mark_seen')).toBe(false);
    expect(r.state.windowEndsAt).toBe(state.windowEndsAt);
  });

  test('ok: a missing path unsets the field, so an earlier answer never passes for this one', () => {
    const first = waiting('1');
    const one = transition(
      flows,
      first.state,
      requestResult(first.id, 'ok', { order: { status: 'shipped' }, items: [] }),
      T0 + 5,
    );
    const second = run(one.state, text('order'), text('2'));
    const [req] = requestsIn(second.effects);
    const two = transition(flows, second.state, requestResult(req?.id ?? '', 'ok', { order: {} }), T0 + 20);
    expect(two.state.fields).not.toHaveProperty('order_status');
    expect(textsIn(two.effects)).toEqual(['Your order is unknown (?)']);
  });

  test.each([
    ['not_found', 404, 'No such order.'],
    ['failed', 500, 'The shop is not answering.'],
    ['timeout', undefined, 'The shop is slow today.'],
  ] as const)('%s goes to its branch', (outcome, status, said) => {
    const { state, id } = waiting();
    const r = transition(flows, state, requestResult(id, outcome, { error: 'x' }, status), T0 + 10);
    expect(textsIn(r.effects)).toEqual([said, 'Menu']);
    expect(r.state.fields).not.toHaveProperty('order_status');
    expect(r.state.request).toBeNull();
  });

  test('without not_found or timeout branches they go to failed; without failed, settings messages.request_failed and the user stays', () => {
    const partial = {
      ...orders,
      nodes: {
        ...orders.nodes,
        lookup: { request: { url: 'https://shop.example.com/o/{{order_number}}', ok: 'found', failed: 'down' } },
      },
    };
    const bare = {
      ...orders,
      nodes: { ...orders.nodes, lookup: { request: { url: 'https://shop.example.com/o/{{order_number}}', ok: 'found' } } },
    };
    for (const [flow, outcome, said] of [
      [partial, 'not_found', ['The shop is not answering.', 'Menu']],
      [partial, 'timeout', ['The shop is not answering.', 'Menu']],
      [bare, 'failed', ["Sorry, I can't check that right now. Please try again in a few minutes."]],
      [bare, 'timeout', ["Sorry, I can't check that right now. Please try again in a few minutes."]],
    ] as const) {
      const fs = flowSet([flow], settings);
      let r = transition(fs, initialUserState(), text('order'), T0);
      r = transition(fs, r.state, text('1'), T0 + 1);
      const id = requestsIn(r.effects)[0]?.id ?? '';
      const done = transition(fs, r.state, requestResult(id, outcome), T0 + 2);
      expect(textsIn(done.effects)).toEqual(said);
      if (flow === bare) expect(done.state.position?.node).toBe('lookup');
    }
  });

  test('a stale result (another id), a duplicate, and a result when nothing is out change nothing', () => {
    const { state, id } = waiting();
    const stale = transition(flows, state, requestResult('rq-other', 'ok', { order: { status: 'x' } }), T0 + 5);
    expect(stale.effects).toEqual([]);
    expect(stale.state).toEqual(state);
    const applied = transition(flows, state, requestResult(id, 'ok', { order: { status: 'shipped' } }), T0 + 5);
    const duplicate = transition(flows, applied.state, requestResult(id, 'failed'), T0 + 6);
    expect(duplicate.effects).toEqual([]);
    expect(duplicate.state).toEqual(applied.state);
    const none = transition(flows, initialUserState(), requestResult(id, 'ok', {}), T0);
    expect(none.effects).toEqual([]);
    expect(none.state).toEqual(initialUserState());
  });

  test('a result after a person took the thread is ignored', () => {
    const { state, id } = waiting();
    const human = transition(flows, state, text('human'), T0 + 5);
    expect(human.state.request).toBeNull();
    const r = transition(flows, human.state, requestResult(id, 'ok', {}), T0 + 6);
    expect(r.effects).toEqual([]);
  });

  test('the secret placeholder is never resolved: not in the state, not in any effect', () => {
    process.env.SHOP_API_TOKEN = 'tok-very-secret';
    try {
      const { state, effects, id } = waiting();
      const done = transition(flows, state, requestResult(id, 'ok', { order: { status: 'ok' } }), T0 + 5);
      const all = JSON.stringify([state, effects, done.state, done.effects]);
      expect(all).not.toContain('tok-very-secret');
      expect(all).toContain('{{secret.SHOP_API_TOKEN}}');
    } finally {
      delete process.env.SHOP_API_TOKEN;
    }
  });
});

describe('what the user does while a request is out', () => {
  test('plain text is not used: they are told to wait once, typing shows again, the result still applies', () => {
    const { state, id } = waiting();
    const one = transition(flows, state, text('hello?'), T0 + 5);
    expect(textsIn(one.effects)).toEqual(['One moment, I am checking…']);
    expect(one.effects[one.effects.length - 1]).toEqual({ type: 'typing', ms: 0, request: id });
    expect(one.state.request?.id).toBe(id);
    const two = transition(flows, one.state, text('anyone?'), T0 + 6);
    expect(textsIn(two.effects)).toEqual([]);
    expect(two.effects.map((e) => e.type)).toEqual(['mark_seen', 'typing']);
    const photo = transition(flows, two.state, { type: 'attachment' }, T0 + 7);
    expect(textsIn(photo.effects)).toEqual([]);
    const done = transition(flows, photo.state, requestResult(id, 'ok', { order: { status: 'packed' } }), T0 + 8);
    expect(textsIn(done.effects)).toEqual(['Your order is packed (?)']);
  });

  test.each([['menu'], ['stop'], ['human']])(
    'the global keyword %s works and cancels the wait: the result is then stale',
    (keyword) => {
      const { state, id } = waiting();
      const r = transition(flows, state, text(keyword), T0 + 5);
      expect(r.state.request).toBeNull();
      expect(textsIn(r.effects).length).toBeGreaterThan(0);
      const late = transition(flows, r.state, requestResult(id, 'ok', { order: { status: 'shipped' } }), T0 + 6);
      expect(late.effects).toEqual([]);
      expect(late.state.fields).not.toHaveProperty('order_status');
    },
  );

  test('a keyword trigger moves on and cancels the wait', () => {
    const { state, id } = waiting();
    const r = transition(flows, state, text('shipping'), T0 + 5);
    expect(textsIn(r.effects)).toEqual(['Free shipping over $50.']);
    expect(transition(flows, r.state, requestResult(id, 'ok', {}), T0 + 6).effects).toEqual([]);
  });

  test('a tap on an earlier quick reply that goes somewhere moves on and cancels the wait', () => {
    const start = transition(flows, initialUserState(), text('hi'), T0);
    const qr = start.effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? (e.message.quick_replies ?? []) : []))[0];
    const payload = qr && 'payload' in qr ? qr.payload : '';
    const asked = run(start.state, text('order'), text('9'));
    const id = requestsIn(asked.effects)[0]?.id ?? '';
    const r = transition(flows, asked.state, tap(payload, 'Order status'), T0 + 9);
    expect(textsIn(r.effects)).toEqual(['Your order number?']);
    expect(r.state.request).toBeNull();
    expect(transition(flows, r.state, requestResult(id, 'ok', {}), T0 + 10).effects).toEqual([]);
  });

  test('no result past the timeout plus the margin (a lost requester): the next message counts the request as timed out', () => {
    const { state, id } = waiting();
    const due = state.request?.dueAt ?? 0;
    const before = transition(flows, state, text('hello?'), due - 1);
    expect(before.state.request?.id).toBe(id);
    const after = transition(flows, before.state, text('hello??'), due);
    expect(textsIn(after.effects)).toEqual(['The shop is slow today.', 'Menu']);
    expect(after.state.request).toBeNull();
    expect(transition(flows, after.state, requestResult(id, 'ok', {}), due + 1).effects).toEqual([]);
  });

  test('a result that comes late but before anything else is still applied', () => {
    const { state, id } = waiting();
    const r = transition(
      flows,
      state,
      requestResult(id, 'ok', { order: { status: 'late' } }),
      (state.request?.dueAt ?? 0) + 60_000,
    );
    expect(textsIn(r.effects)).toEqual(['Your order is late (?)']);
  });

  test('an edit that removes the request from the node drops the wait', () => {
    const { state, id } = waiting();
    const edited = flowSet(
      [{ ...orders, nodes: { ...orders.nodes, lookup: { say: [{ text: 'Gone' }], next: 'menu' } } }],
      settings,
      'v2',
    );
    const r = transition(edited, state, text('hello?'), T0 + 5);
    expect(r.state.request).toBeNull();
    expect(transition(edited, state, requestResult(id, 'ok', {}), T0 + 5).effects).toEqual([]);
  });
});

describe('webhook action', () => {
  const leads = {
    id: 'leads',
    start: 'ask_email',
    nodes: {
      ask_email: { ask: { text: 'Email?', capture: 'email', into: 'email', on_fail: 'done', next: 'done' } },
      done: {
        actions: [
          {
            webhook: {
              url: 'https://crm.example.com/leads/{{email}}',
              body: { email: '{{email}}', visits: '{{visits}}', note: 'from {{email}}', tags: ['bot'] },
            },
          },
          { increment: 'visits' },
          { webhook: { url: 'https://crm.example.com/leads', body: { visits: '{{visits}}' } } },
        ],
        say: [{ text: 'Thanks!' }],
        end: true,
      },
    },
  };
  const fs = flowSet([leads], { requests: { hosts: [{ host: 'crm.example.com' }] } });

  test('emits one webhook effect per action with a JSON body; a lone {{field}} keeps its type; the conversation goes on', () => {
    let r = transition(fs, initialUserState(), text('hi'), T0);
    r = transition(fs, r.state, text('Ann+x@Example.com'), T0 + 1);
    const hooks = r.effects.filter((e) => e.type === 'webhook');
    expect(hooks).toEqual([
      {
        type: 'webhook',
        id: expect.stringMatching(/^wh-/),
        name: 'leads/done',
        url: 'https://crm.example.com/leads/ann%2Bx%40example.com',
        body: JSON.stringify({ email: 'ann+x@example.com', visits: null, note: 'from ann+x@example.com', tags: ['bot'] }),
      },
      {
        type: 'webhook',
        id: expect.stringMatching(/^wh-/),
        name: 'leads/done',
        url: 'https://crm.example.com/leads',
        body: '{"visits":1}',
      },
    ]);
    expect(new Set(hooks.map((h) => (h.type === 'webhook' ? h.id : ''))).size).toBe(2);
    expect(textsIn(r.effects)).toEqual(['Thanks!']);
    expect(r.state.request).toBeNull();
  });
});

describe('cards from a response', () => {
  const catalog = {
    id: 'catalog',
    start: 'find',
    nodes: {
      find: {
        request: {
          url: 'https://shop.example.com/products?size={{size|42}}',
          ok: 'shown',
          failed: 'shown',
          cards: {
            items: 'data.products',
            title: '{{item.name}}',
            subtitle: '${{item.price}} · {{item.summary}}',
            image_url: 'image',
            url: 'links.page',
            buttons: [{ title: 'Buy {{item.name}}', url: 'links.buy' }],
            empty: 'none',
          },
        },
      },
      shown: { say: [{ text: 'Tap a card to see more.' }], end: true },
      none: { say: [{ text: 'Nothing in your size.' }], end: true },
    },
  };
  const fs = flowSet([catalog], settings);
  const product = (i: number, extra: Record<string, unknown> = {}) => ({
    name: `Shoe ${i}`,
    price: 80 + i,
    summary: 'light',
    image: `https://img.example.com/${i}.jpg`,
    links: { page: `https://shop.example.com/p/${i}`, buy: `https://shop.example.com/p/${i}?buy=1` },
    ...extra,
  });
  const answer = (json: unknown) => {
    const start = transition(fs, initialUserState(), text('hi'), T0);
    const id = requestsIn(start.effects)[0]?.id ?? '';
    return transition(fs, start.state, requestResult(id, 'ok', json), T0 + 1);
  };
  const carousel = (effects: readonly EngineEffect[]) =>
    effects.flatMap((e) =>
      e.type === 'send' && 'attachment' in e.message && e.message.attachment.payload && 'elements' in e.message.attachment.payload
        ? [e.message]
        : [],
    );

  test('renders up to 10 valid cards before the ok node, each passing the Send API schema', () => {
    const r = answer({ data: { products: Array.from({ length: 14 }, (_, i) => product(i)) } });
    const [message] = carousel(r.effects);
    expect(message && messageSchema.safeParse(message).success).toBe(true);
    const elements =
      message && 'attachment' in message && 'elements' in message.attachment.payload ? message.attachment.payload.elements : [];
    expect(elements).toHaveLength(10);
    expect(elements[0]).toEqual({
      title: 'Shoe 0',
      subtitle: '$80 · light',
      image_url: 'https://img.example.com/0.jpg',
      default_action: { type: 'web_url', url: 'https://shop.example.com/p/0' },
      buttons: [{ type: 'web_url', title: 'Buy Shoe 0', url: 'https://shop.example.com/p/0?buy=1' }],
    });
    expect(textsIn(r.effects)).toEqual(['Tap a card to see more.']);
  });

  test('long texts are cut with an ellipsis; non-https URLs are left out; cards without a title or with only a title are dropped', () => {
    const long = 'x'.repeat(200);
    const r = answer({
      data: {
        products: [
          product(1, { name: long, summary: long }),
          product(2, { image: 'http://img.example.com/2.jpg', links: { page: 'javascript:alert(1)', buy: 'ftp://x' } }),
          product(3, { name: '' }),
          { name: 'Only a title' },
          'not an object',
          null,
        ],
      },
    });
    const [message] = carousel(r.effects);
    expect(message && messageSchema.safeParse(message).success).toBe(true);
    const elements =
      message && 'attachment' in message && 'elements' in message.attachment.payload ? message.attachment.payload.elements : [];
    expect(elements.map((e) => e.title)).toEqual([`${'x'.repeat(79)}…`, 'Shoe 2']);
    expect([...(elements[0]?.subtitle ?? '')].length).toBe(80);
    expect(elements[1]).toEqual({ title: 'Shoe 2', subtitle: '$82 · light' });
    expect(elements[0]?.buttons?.[0]?.title).toBe(`Buy ${'x'.repeat(15)}…`);
  });

  test.each([
    ['an empty list', { data: { products: [] } }],
    ['no list at the path', { data: {} }],
    ['not a list', { data: { products: { a: 1 } } }],
    ['no card survives', { data: { products: [{ name: '' }, { title: 'x' }] } }],
  ])('%s goes to the empty branch', (_what, json) => {
    const r = answer(json);
    expect(carousel(r.effects)).toEqual([]);
    expect(textsIn(r.effects)).toEqual(['Nothing in your size.']);
  });

  test('a value from the API is never read as a placeholder', () => {
    const r = answer({ data: { products: [product(1, { name: '{{item.price}} {{first_name}}' })] } });
    const [message] = carousel(r.effects);
    const elements =
      message && 'attachment' in message && 'elements' in message.attachment.payload ? message.attachment.payload.elements : [];
    expect(elements[0]?.title).toBe('{{item.price}} {{first_name}}');
  });
});
