import type { BroadcastSend } from '../../src/engine/broadcastSend';
import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import { transition, type TransitionResult } from '../../src/engine/transition';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { HOUR, T0, flowSet, tap, text } from './engineFixtures';

/** A broadcast in one user's lane: the pure decision, the history, the caps and what the user did after it. */
const shop = {
  id: 'shop',
  start: 'hello',
  triggers: [{ keyword: 'join', goto: 'join' }, { postback: 'DEAL_YES', goto: 'deal' }, { get_started: true }],
  fallback: { text: 'Sorry?' },
  nodes: {
    hello: { say: [{ text: 'Hi' }], end: true },
    join: { actions: [{ subscribe: 'offers' }], say: [{ text: 'Joined' }], end: true },
    deal: { say: [{ text: 'Deal taken, {{first_name}}' }], end: true },
  },
};
const flows = flowSet([shop], { proactive_caps: {} });

const promo: BroadcastSend = {
  id: 'sale',
  kind: 'promotional',
  topic: 'offers',
  messages: [{ text: 'Sale, {{first_name}}!', buttons: [{ title: 'Yes', payload: 'DEAL_YES' }] }],
  caps: {},
};
const due = (send: BroadcastSend | null, over: Partial<Extract<EngineEvent, { type: 'broadcast' }>> = {}): EngineEvent => ({
  type: 'broadcast',
  id: send?.id ?? 'gone',
  send,
  cancelled: false,
  test: false,
  ...over,
});

/** A subscribed user who wrote at T0 (window open until T0 + 24 h). */
function subscriber(): UserState {
  const r = transition(flows, initialUserState(), text('join'), T0);
  return { ...r.state, fields: { ...r.state.fields, first_name: 'Ada' } };
}
const sends = (r: TransitionResult) => r.effects.filter((e): e is Extract<EngineEffect, { type: 'send' }> => e.type === 'send');

describe('a broadcast in the user lane', () => {
  it('queues the messages as UPDATE sends marked with the broadcast, remembers it, counts targeted and queued', () => {
    const r = transition(flows, subscriber(), due(promo), T0 + HOUR);
    expect(sends(r)).toEqual([
      {
        type: 'send',
        messaging: 'UPDATE',
        promotional: true,
        broadcast: { id: 'sale', kind: 'promotional', topic: 'offers' },
        message: {
          attachment: {
            type: 'template',
            payload: {
              template_type: 'button',
              text: 'Sale, Ada!',
              buttons: [{ type: 'postback', title: 'Yes', payload: 'DEAL_YES' }],
            },
          },
        },
      },
    ]);
    expect(r.effects.some((e) => e.type === 'mark_seen' || e.type === 'typing')).toBe(false);
    expect(r.stats).toEqual(['sale|targeted', 'sale|queued']);
    expect(r.state.broadcasts).toEqual([
      {
        id: 'sale',
        at: T0 + HOUR,
        outcome: 'queued',
        payloads: ['DEAL_YES'],
        delivered: false,
        read: false,
        clicked: false,
        replied: false,
      },
    ]);
    expect(r.state.proactive).toEqual([T0 + HOUR]);
    // A broadcast is not the customer's action: the window does not move.
    expect(r.state.windowEndsAt).toBe(subscriber().windowEndsAt);
  });

  it('meets a broadcast once: a second delivery of it sends nothing and counts repeat only', () => {
    const once = transition(flows, subscriber(), due(promo), T0 + HOUR);
    const again = transition(flows, decodeUserState(JSON.parse(JSON.stringify(once.state))), due(promo), T0 + 2 * HOUR);
    expect(sends(again)).toEqual([]);
    expect(again.stats).toEqual(['sale|repeat']);
    expect(again.state.broadcasts).toHaveLength(1);
  });

  it.each([
    ['outside_window', () => subscriber(), T0 + 25 * HOUR, promo],
    ['no_consent', () => transition(flows, initialUserState(), text('hi'), T0).state, T0 + HOUR, promo],
    ['human_owns_thread', () => ({ ...subscriber(), thread: 'human' as const }), T0 + HOUR, promo],
    ['no_token', () => subscriber(), T0 + HOUR, { ...promo, kind: 'marketing_message' as const }],
  ])('skips with reason %s, remembering the decision', (reason, state, at, send) => {
    const r = transition(flows, state(), due(send), at);
    expect(sends(r)).toEqual([]);
    expect(r.stats).toEqual(['sale|targeted', `sale|skipped:${reason}`]);
    expect(r.state.broadcasts.map((b) => b.outcome)).toEqual(['skipped']);
  });

  it('a tagged update goes outside the window, never promotional, with its tag on the mark', () => {
    const tagged: BroadcastSend = {
      id: 'late',
      kind: 'tagged',
      tag: 'POST_PURCHASE_UPDATE',
      messages: [{ text: 'Late' }],
      caps: {},
    };
    const r = transition(flows, subscriber(), due(tagged), T0 + 30 * HOUR);
    expect(sends(r).map((s) => [s.promotional, s.broadcast])).toEqual([
      [false, { id: 'late', kind: 'tagged', tag: 'POST_PURCHASE_UPDATE' }],
    ]);
  });

  it('a cancelled or unknown broadcast is skipped as cancelled', () => {
    expect(transition(flows, subscriber(), due(promo, { cancelled: true }), T0 + HOUR).stats).toEqual([
      'sale|targeted',
      'sale|skipped:cancelled',
    ]);
    expect(transition(flows, subscriber(), due(null), T0 + HOUR).stats).toEqual(['gone|targeted', 'gone|skipped:cancelled']);
  });

  it('caps proactive messages per day and per week, counting only the last 24 h / 7 days', () => {
    const capped = { ...promo, caps: { perDay: 1, perWeek: 2 } };
    let s = transition(flows, subscriber(), due({ ...capped, id: 'a' }), T0 + HOUR).state;
    expect(transition(flows, s, due({ ...capped, id: 'b' }), T0 + 2 * HOUR).stats).toEqual(['b|targeted', 'b|skipped:capped']);
    // A day later the daily cap allows one more (the window must be open: the user writes again).
    s = transition(flows, s, text('join'), T0 + 25 * HOUR).state;
    s = transition(flows, s, due({ ...capped, id: 'c' }), T0 + 26 * HOUR).state;
    expect(s.broadcasts.at(-1)?.outcome).toBe('queued');
    s = transition(flows, s, text('join'), T0 + 49 * HOUR).state;
    expect(transition(flows, s, due({ ...capped, id: 'd' }), T0 + 50 * HOUR).stats).toEqual(['d|targeted', 'd|skipped:capped']);
  });

  it('starts a flow node instead of messages, marking its sends', () => {
    const start: BroadcastSend = {
      id: 'st',
      kind: 'promotional',
      topic: 'offers',
      start: { flow: 'shop', node: 'deal' },
      caps: {},
    };
    const r = transition(flows, subscriber(), due(start), T0 + HOUR);
    expect(sends(r).map((s) => [s.message, s.broadcast?.id, s.messaging])).toEqual([
      [{ text: 'Deal taken, Ada' }, 'st', 'UPDATE'],
    ]);
    expect(r.state.position?.node).toBe('deal');
  });

  it('a test send goes out marked test, with no history, caps or counters', () => {
    const r = transition(flows, subscriber(), due(promo, { test: true }), T0 + HOUR);
    expect(sends(r).map((s) => s.broadcast)).toEqual([{ id: 'sale', kind: 'promotional', topic: 'offers', test: true }]);
    expect(r.stats).toBeUndefined();
    expect(r.state.broadcasts).toEqual([]);
    expect(r.state.proactive).toEqual([]);
  });
});

/** The broadcast counters of a step (the flow funnel counts nodes reached too: tests/engine/funnel.test.ts). */
const counted = (r: TransitionResult): readonly string[] | undefined => {
  const own = r.stats?.filter((f) => !f.startsWith('_funnel|'));
  return own && own.length > 0 ? own : undefined;
};

describe('what the user did after a broadcast', () => {
  const sent = () => transition(flows, subscriber(), due(promo), T0 + HOUR).state;

  it('counts delivered once a delivery watermark reaches the moment it was queued, and read (with delivered) once', () => {
    const early = transition(flows, sent(), { type: 'delivered', watermark: T0 + HOUR - 1 }, T0 + 2 * HOUR);
    expect(counted(early)).toBeUndefined();
    const delivered = transition(flows, early.state, { type: 'delivered', watermark: T0 + HOUR + 5 }, T0 + 2 * HOUR);
    expect(counted(delivered)).toEqual(['sale|delivered']);
    const read = transition(flows, delivered.state, { type: 'read', watermark: T0 + HOUR + 9 }, T0 + 2 * HOUR);
    expect(counted(read)).toEqual(['sale|read']);
    expect(counted(transition(flows, read.state, { type: 'read', watermark: T0 + 2 * HOUR }, T0 + 2 * HOUR))).toBeUndefined();
    // A read with no delivery receipt before it counts both.
    expect(counted(transition(flows, sent(), { type: 'read', watermark: T0 + 2 * HOUR }, T0 + 2 * HOUR))).toEqual([
      'sale|delivered',
      'sale|read',
    ]);
  });

  it('a tap on its payload within 7 days is its click; a message within 24 h its reply; each once', () => {
    const tapped = transition(flows, sent(), tap('DEAL_YES', 'Yes'), T0 + 2 * HOUR);
    expect(counted(tapped)).toEqual(['sale|replied', 'sale|clicked']);
    expect(counted(transition(flows, tapped.state, tap('DEAL_YES', 'Yes'), T0 + 3 * HOUR))).toBeUndefined();
    const late = transition(flows, sent(), tap('DEAL_YES', 'Yes'), T0 + 3 * 24 * HOUR);
    expect(counted(late)).toEqual(['sale|clicked']); // no longer a reply
    expect(counted(transition(flows, sent(), tap('DEAL_YES', 'Yes'), T0 + 9 * 24 * HOUR))).toBeUndefined();
    expect(counted(transition(flows, sent(), text('hello'), T0 + 2 * HOUR))).toEqual(['sale|replied']);
  });

  it('gives the click to the latest broadcast carrying the payload', () => {
    const second = transition(flows, sent(), due({ ...promo, id: 'sale-2' }), T0 + 2 * HOUR).state;
    expect(counted(transition(flows, second, tap('DEAL_YES', 'Yes'), T0 + 3 * HOUR))).toEqual([
      'sale|replied',
      'sale-2|replied',
      'sale-2|clicked',
    ]);
  });
});
