import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import type { FlowSet } from '../../src/engine/flowSet';
import { GET_STARTED_PAYLOAD, OFFER_HUMAN_PAYLOAD } from '../../src/engine/payloads';
import { transition } from '../../src/engine/transition';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { messageSchema, type SendMessage } from '../../src/platform/sendApiSchema';
import { HOUR, T0, flowSet, tap, text } from './engineFixtures';

const shop = {
  id: 'shop',
  start: 'welcome',
  entry: 'menu',
  triggers: [
    { get_started: true },
    { keyword: ['hi', 'hello', '你好'] },
    { keyword: 'price', match: 'contains', goto: 'prices' },
    { keyword: '^order\\s*#?\\d+$', match: 'regex', goto: 'prices' },
    { ref: 'summer', goto: 'promo' },
    { optin: 'OFFERS', goto: 'promo' },
    { postback: 'AD_CTA', goto: 'prices' },
  ],
  nodes: {
    welcome: { actions: [{ increment: 'visits' }], say: [{ text: 'Hi {{first_name}}, {{nickname|friend}}!' }], next: 'menu' },
    menu: {
      say: [
        { typing: 500 },
        {
          text: 'Menu',
          quick_replies: [
            { title: 'Prices', goto: 'prices', actions: [{ tag: 'curious' }] },
            { title: 'Email', goto: 'ask_email' },
            { title: 'Ad', payload: 'MY_CUSTOM', goto: 'promo' },
            { type: 'email' },
          ],
        },
      ],
    },
    prices: {
      say: [
        {
          cards: [
            {
              title: 'Runner',
              subtitle: '$89',
              image_url: 'https://x.test/a.jpg',
              url: 'https://x.test/a',
              buttons: [
                { title: 'Buy', url: 'https://x.test/buy' },
                { title: 'More', goto: 'menu' },
              ],
            },
          ],
        },
        {
          text: 'Call us',
          buttons: [
            { title: 'Call', call: '+15551234567' },
            { title: 'Back', goto: 'menu' },
          ],
        },
        { image: 'https://x.test/i.png' },
      ],
      wait: true,
    },
    promo: { say: [{ text: 'Sale!', promotional: true, quick_replies: [{ title: 'Menu', goto: 'menu' }] }] },
    ask_email: {
      ask: {
        text: 'Email?',
        capture: 'email',
        into: 'email',
        invalid: 'Not an email.',
        retries: 1,
        on_fail: 'human',
        next: 'thanks',
      },
    },
    thanks: {
      actions: [{ subscribe: 'offers' }, { start_sequence: 'tips' }, { notify: 'lead {{email}}' }],
      say: [{ text: 'Thanks {{email}}' }],
      end: true,
    },
    human: { handover: { message: 'A person will reply.', reason: 'input_failed' } },
  },
  fallback: { text: 'Sorry?', escalate_after: 2, escalate: 'offer' },
};

const flows = flowSet([shop]);

/** Runs events in order from a fresh state, a minute apart; returns the last result and all effects. */
function play(events: EngineEvent[], fs: FlowSet = flows, start: UserState = initialUserState()) {
  let state = start;
  const all: EngineEffect[][] = [];
  events.forEach((e, i) => {
    const r = transition(fs, state, e, T0 + i * 60_000);
    state = r.state;
    all.push([...r.effects]);
  });
  return { state, effects: all.at(-1) ?? [], all };
}
const sends = (effects: readonly EngineEffect[]): SendMessage[] => effects.flatMap((e) => (e.type === 'send' ? [e.message] : []));
const texts = (effects: readonly EngineEffect[]) =>
  sends(effects).map((m) => ('text' in m ? m.text : 'attachment' in m ? `[${m.attachment.type}]` : ''));
const payloadOf = (m: SendMessage | undefined, title: string): string => {
  const qr = m?.quick_replies?.find((q) => q.content_type === 'text' && q.title === title);
  if (qr && qr.content_type === 'text') return qr.payload;
  throw new Error(`no quick reply ${title}`);
};

describe('triggers', () => {
  it('Get Started runs the start node, interpolating with defaults, and follows next', () => {
    const { effects, state } = play([tap(GET_STARTED_PAYLOAD)]);
    expect(effects[0]).toEqual({ type: 'mark_seen' });
    expect(texts(effects)).toEqual(['Hi there, friend!', 'Menu']);
    expect(effects).toContainEqual({ type: 'typing', ms: 500 });
    expect(state.position).toEqual({ flow: 'shop', version: 'v1', node: 'menu' });
    expect(state.fields.visits).toBe(1);
    expect(effects.filter((e) => e.type === 'send').every((e) => e.type === 'send' && e.messaging === 'RESPONSE')).toBe(true);
  });

  it('an inline default wins over the settings default', () => {
    const fs = flowSet([{ id: 'f', start: 'a', nodes: { a: { say: [{ text: 'Hi {{first_name|friend}}' }], end: true } } }], {
      defaults: { first_name: 'there' },
    });
    expect(texts(play([text('x')], fs).effects)).toEqual(['Hi friend']);
  });

  it("the menu keyword goes to the default flow's entry node", () => {
    expect(play([text('hi'), text('price'), text('MENU')]).state.position?.node).toBe('menu');
  });

  it('uses declared defaults for missing fields, never "undefined"', () => {
    const fs = flowSet([shop], { defaults: { first_name: 'pal' } });
    expect(texts(play([text('hi')], fs).effects)[0]).toBe('Hi pal, friend!');
    const none = flowSet([shop], { defaults: {} });
    expect(texts(play([text('hi')], none).effects)[0]).toBe('Hi , friend!');
    expect(JSON.stringify(play([text('hi')]).all)).not.toContain('undefined');
  });

  it.each([
    ['exact, case and accents folded', 'HÉLLO!', 'menu'],
    ['exact, Chinese', '你好', 'menu'],
    ['contains', 'what is the price of runner?', 'prices'],
    ['regex', 'order #12345', 'prices'],
  ])('keyword %s', (_case, input, node) => {
    expect(play([text(input)]).state.position?.node).toBe(node);
  });

  it('ref from an m.me link or inside a Get Started postback; ad referral opens a 7-day window', () => {
    const viaLink = play([{ type: 'referral', ref: 'summer', fromAd: false }]);
    expect(texts(viaLink.effects)).toEqual(['Sale!']);
    expect(viaLink.state.windowEndsAt).toBe(T0 + 24 * HOUR);
    const viaAd = play([{ type: 'payload', payload: GET_STARTED_PAYLOAD, text: 'Get Started', ref: 'summer', fromAd: true }]);
    expect(texts(viaAd.effects)).toEqual(['Sale!']);
    expect(viaAd.state.windowEndsAt).toBe(T0 + 7 * 24 * HOUR);
  });

  it("the window runs from the customer's own time (Meta's), not from when the event was processed", () => {
    // Processed 20 h late (a backlog, or a replayed body): 4 h of window are left, not 24.
    const late = transition(flows, initialUserState(), { ...text('hello'), at: T0 - 20 * HOUR }, T0);
    expect(late.state.lastInboundAt).toBe(T0 - 20 * HOUR);
    expect(late.state.windowEndsAt).toBe(T0 + 4 * HOUR);
    // A time in the future cannot stretch it.
    const future = transition(flows, initialUserState(), { ...text('hello'), at: T0 + 5 * HOUR }, T0);
    expect(future.state.windowEndsAt).toBe(T0 + 24 * HOUR);
    // An older event after a newer one moves neither the last action nor the window back.
    const older = transition(flows, late.state, { ...text('hi'), at: T0 - 30 * HOUR }, T0 + 1000);
    expect(older.state.lastInboundAt).toBe(T0 - 20 * HOUR);
    expect(older.state.windowEndsAt).toBe(T0 + 4 * HOUR);
  });

  it('opt-in and external postback triggers', () => {
    expect(texts(play([{ type: 'optin', ref: 'OFFERS' }]).effects)).toEqual(['Sale!']);
    expect(play([tap('AD_CTA')]).state.position?.node).toBe('prices');
    expect(play([{ type: 'optin', ref: 'OTHER' }]).state.position).toBeNull();
  });

  it('a first message that matches nothing starts the default flow', () => {
    expect(play([text('yo')]).state.position?.node).toBe('menu');
  });
});

describe('messages and controls', () => {
  it('renders cards, button template, phone button and media within Messenger limits', () => {
    const { effects } = play([text('price')]);
    const msgs = sends(effects);
    expect(msgs.map((m) => messageSchema.safeParse(m).success)).toEqual([true, true, true]);
    expect(msgs[0]).toMatchObject({
      attachment: {
        type: 'template',
        payload: {
          template_type: 'generic',
          elements: [{ title: 'Runner', default_action: { type: 'web_url', url: 'https://x.test/a' } }],
        },
      },
    });
    expect(msgs[1]).toMatchObject({
      attachment: {
        payload: {
          template_type: 'button',
          buttons: [
            { type: 'phone_number', payload: '+15551234567' },
            { type: 'postback', payload: 'TS|shop|prices|s1b1' },
          ],
        },
      },
    });
    expect(msgs[2]).toEqual({ attachment: { type: 'image', payload: { url: 'https://x.test/i.png' } } });
  });

  it('a quick reply runs its actions and jumps; payloads are generated and namespaced', () => {
    const first = play([text('hi')]);
    const menu = sends(first.effects)[1];
    expect(menu?.quick_replies?.map((q) => (q.content_type === 'text' ? q.payload : q.content_type))).toEqual([
      'TS|shop|menu|s1q0',
      'TS|shop|menu|s1q1',
      'MY_CUSTOM',
      'user_email',
    ]);
    const next = transition(flows, first.state, tap(payloadOf(menu, 'Prices'), 'Prices'), T0 + 1000);
    expect(next.state.tags).toEqual(['curious']);
    expect(next.state.position?.node).toBe('prices');
    expect(transition(flows, first.state, tap('MY_CUSTOM'), T0).state.position?.node).toBe('promo');
    const card = transition(flows, next.state, tap('TS|shop|prices|s0c0b1', 'More'), T0 + 2000);
    expect(card.state.position?.node).toBe('menu');
  });

  it('marks promotional content so the sender can apply the window policy', () => {
    const promo = play([{ type: 'referral', ref: 'summer', fromAd: false }]).effects.find((e) => e.type === 'send');
    expect(promo).toMatchObject({ promotional: true });
  });
});

describe('input capture', () => {
  const atEmail = () => play([text('hi'), tap('TS|shop|menu|s1q1', 'Email')]);

  it('asks, validates, stores, then runs the next node with its actions', () => {
    const asked = atEmail();
    expect(texts(asked.effects)).toEqual(['Email?']);
    expect(sends(asked.effects)[0]?.quick_replies).toEqual([{ content_type: 'user_email' }]);
    expect(asked.state.pending).toMatchObject({ node: 'ask_email', retries: 0 });
    const done = transition(flows, asked.state, text(' Ann@Example.COM '), T0 + HOUR);
    expect(done.state.fields.email).toBe('ann@example.com');
    expect(done.state.pending).toBeNull();
    expect(done.state.consent.offers).toEqual({ subscribed: true, at: T0 + HOUR, source: 'flow:shop/thanks' });
    expect(done.effects).toEqual(
      expect.arrayContaining([
        { type: 'consent', topic: 'offers', subscribed: true, source: 'flow:shop/thanks' },
        { type: 'sequence', action: 'start', sequence: 'tips' },
        { type: 'notify', reason: 'flow', text: 'lead ann@example.com' },
      ]),
    );
    expect(texts(done.effects)).toEqual(['Thanks ann@example.com']);
  });

  it("accepts the value of Messenger's email quick reply", () => {
    const done = transition(flows, atEmail().state, tap('bob@example.org', 'bob@example.org'), T0 + HOUR);
    expect(done.state.fields.email).toBe('bob@example.org');
  });

  it('re-asks with the validation message, then exits to on_fail after the retries', () => {
    const once = transition(flows, atEmail().state, text('nope'), T0 + HOUR);
    expect(texts(once.effects)).toEqual(['Not an email.']);
    expect(once.state.pending?.retries).toBe(1);
    const twice = transition(flows, once.state, text('still nope'), T0 + 2 * HOUR);
    expect(texts(twice.effects)).toEqual(['A person will reply.']);
    expect(twice.state.thread).toBe('handing_over');
    expect(twice.effects).toContainEqual(expect.objectContaining({ type: 'handover', reason: 'input_failed' }));
  });

  it('global keywords still work while a question is pending', () => {
    const human = transition(flows, atEmail().state, text('Talk to a person'), T0 + HOUR);
    expect(human.state.thread).toBe('handing_over');
    expect(human.state.pending).toBeNull();
    const stop = transition(flows, atEmail().state, text('STOP'), T0 + HOUR);
    expect(stop.state.consent.offers?.subscribed).toBe(false);
    expect(stop.state.pending).toBeNull();
  });
});

describe('fallback', () => {
  it('replies, then offers a person after N misses; tapping the offer hands over', () => {
    const { all, state } = play([text('hi'), text('blorp'), text('zzz')]);
    expect(texts(all[1] ?? [])).toEqual(['Sorry?']);
    const offer = sends(all[2] ?? [])[0];
    expect(offer).toEqual({
      text: 'Sorry? Would you like to talk to a person?',
      quick_replies: [{ content_type: 'text', title: 'Talk to a person', payload: OFFER_HUMAN_PAYLOAD }],
    });
    expect(state.misses).toBe(0); // counted again from zero after the offer
    const handed = transition(flows, state, tap(OFFER_HUMAN_PAYLOAD, 'Talk to a person'), T0 + HOUR);
    expect(handed.state.thread).toBe('handing_over');
  });

  it('understanding something resets the miss counter', () => {
    expect(play([text('hi'), text('blorp'), text('price')]).state.misses).toBe(0);
  });

  it('escalate: handover hands over directly', () => {
    const fs = flowSet([{ ...shop, fallback: { text: 'Sorry?', escalate_after: 1, escalate: 'handover' } }]);
    expect(play([text('hi'), text('blorp')], fs).state.thread).toBe('handing_over');
  });
});

describe('safety', () => {
  it('clips interpolated user input to Messenger limits and percent-encodes it in links', () => {
    const echo = flowSet([
      {
        id: 'echo',
        start: 'q',
        nodes: {
          q: { ask: { text: 'Name?', capture: 'text', into: 'name', max: 5000, on_fail: 'q', next: 'r' } },
          r: {
            say: [
              {
                text: 'Hello {{name}}',
                quick_replies: [{ title: '{{name}}', goto: 'q' }],
                buttons: [{ title: 'Open', url: 'https://x.test/?n={{name}}' }],
              },
            ],
            end: true,
          },
        },
      },
    ]);
    const long = 'é&'.repeat(1500);
    const r = play([text('go'), text(long)], echo);
    const [msg] = sends(r.effects);
    expect(messageSchema.safeParse(msg).success).toBe(true);
    expect(JSON.stringify(msg)).toContain('https://x.test/?n=%C3%A9%26');
  });

  it('stops a cycle that sends without waiting, and caps messages per event', () => {
    const loop = flowSet([
      { id: 'loop', start: 'a', nodes: { a: { say: [{ text: 'A' }], next: 'b' }, b: { say: [{ text: 'B' }], next: 'a' } } },
    ]);
    const r = play([text('x')], loop);
    expect(texts(r.effects)).toEqual(['A', 'B']);
    expect(r.effects).toContainEqual(expect.objectContaining({ type: 'warning', code: 'cycle' }));
    const chain = Object.fromEntries(
      Array.from({ length: 15 }, (_, i) => [
        `n${i}`,
        { say: [{ text: `m${i}` }], ...(i < 14 ? { next: `n${i + 1}` } : { end: true }) },
      ]),
    );
    const long = play([text('x')], flowSet([{ id: 'long', start: 'n0', nodes: chain }], { max_messages_per_event: 5 }));
    expect(sends(long.effects)).toHaveLength(5);
    expect(long.effects).toContainEqual(expect.objectContaining({ type: 'warning', code: 'message_cap' }));
  });

  it('never mutates its input state', () => {
    const before = play([text('hi')]).state;
    const frozen = JSON.parse(JSON.stringify(before)) as UserState;
    transition(flows, before, text('price'), T0 + HOUR);
    expect(before).toEqual(frozen);
  });

  it('is silent while a person owns the thread, but keeps the window current', () => {
    const human = { ...initialUserState(), thread: 'human' as const };
    const r = transition(flows, human, text('hi'), T0);
    expect(sends(r.effects)).toEqual([]);
    expect(r.state.lastInboundAt).toBe(T0);
  });
});

describe('flow versions', () => {
  it('keeps a user on a node that still exists after the file changed', () => {
    const v1 = play([text('hi'), tap('TS|shop|menu|s1q1')]).state;
    const v2 = flowSet([shop], {}, 'v2');
    const r = transition(v2, v1, text('x@y.io'), T0 + HOUR);
    expect(r.state.fields.email).toBe('x@y.io');
    expect(r.state.position?.version).toBe('v2');
  });

  it('moves a user whose node was removed to the entry node, and treats stale payloads as text', () => {
    const v1 = play([text('price')]).state;
    const { prices: _removed, ...rest } = shop.nodes;
    const v2 = flowSet([{ ...shop, triggers: [], nodes: rest }], {}, 'v2');
    const r = transition(v2, v1, tap('TS|shop|prices|s1b1', 'Back'), T0 + HOUR);
    expect(r.state.position).toEqual({ flow: 'shop', version: 'v2', node: 'menu' });
    expect(texts(r.effects)).toEqual(['Sorry?']);
  });

  it("migrates the foundation's counter state", () => {
    const s = decodeUserState({ inbound: 3, byKind: { message: 3 }, standby: 0, lastInteractionAt: T0, lastItemId: '1-0' });
    expect(s).toMatchObject({ schema: 1, inbound: 3, lastInboundAt: T0, windowEndsAt: T0 + 24 * HOUR, thread: 'bot' });
    expect(() => decodeUserState({ schema: 99 })).toThrow(/unreadable user state/);
  });
});
