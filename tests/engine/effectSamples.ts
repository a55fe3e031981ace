import type { EffectOf, EffectType } from '../../src/engine/effects';

/**
 * One effect of every kind the engine knows, with every field it can carry. Typed by kind, so a
 * kind added to the engine fails to compile here until it has a sample (and so gets tested).
 */
export const EFFECT_SAMPLES: { readonly [K in EffectType]: EffectOf<K> } = {
  send: {
    type: 'send',
    message: { text: 'Pick one', quick_replies: [{ content_type: 'text', title: 'Shoes', payload: 'SHOES' }] },
    messaging: 'RESPONSE',
    promotional: false,
    byHumanAgent: true,
  },
  typing: { type: 'typing', ms: 0, request: 'rq-1' },
  mark_seen: { type: 'mark_seen' },
  handover: { type: 'handover', reason: 'asked', metadata: { flow: 'shop', fields: { n: 1 } }, targetAppId: 'agent-app' },
  schedule: { type: 'schedule', timer: 'handover_timeout', id: 'ht-1', at: 1_700_000_000_000 },
  cancel_timer: { type: 'cancel_timer', timer: 'handover_timeout' },
  consent: { type: 'consent', topic: 'deals', subscribed: true, source: 'flow:shop/optin' },
  sequence: { type: 'sequence', action: 'start', sequence: 'welcome' },
  sequence_timer: { type: 'sequence_timer', sequence: 'welcome', id: 'sq-1', at: 1_700_000_000_000 },
  notify: { type: 'notify', text: 'Customer asked for a person (keyword)', reason: 'keyword' },
  unmatched: { type: 'unmatched', text: 'do you ship to canada', outcome: 'suggested' },
  warning: { type: 'warning', code: 'cycle', detail: 'node shop/start reached twice in one event; stopped' },
  request: {
    type: 'request',
    id: 'rq-1',
    name: 'shop/order_lookup',
    method: 'POST',
    url: 'https://shop.example.com/orders/104233?lang=en',
    headers: { Authorization: 'Bearer {{secret.SHOP_API_TOKEN}}' },
    body: '{"number":"104233"}',
    timeoutMs: 5000,
  },
  classify_question: {
    type: 'classify_question',
    id: 'qm-1',
    text: 'can I send them back',
  },
  private_reply: {
    type: 'private_reply',
    to: { comment_id: '111_222' },
    message: { text: 'Our prices', quick_replies: [{ content_type: 'text', title: 'Shoes', payload: 'TS|shop|menu|s0q0' }] },
    // Within Meta's 7 days of now, so the sender sends it.
    created: Date.now(),
    name: 'shop/price',
  },
  comment_reply: { type: 'comment_reply', id: '111_222', text: 'Sent you a message!' },
  comment_skipped: { type: 'comment_skipped', reason: 'too_old' },
  webhook: {
    type: 'webhook',
    id: 'wh-1',
    name: 'shop/subscribed',
    url: 'https://crm.example.com/leads',
    body: '{"email":"a@b.co"}',
  },
};

export const ALL_EFFECTS = Object.values(EFFECT_SAMPLES);
