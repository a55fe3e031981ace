import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineEffect } from '../../src/engine/effects';
import { transition } from '../../src/engine/transition';
import { decodeUserState, initialUserState, REFERRAL_HISTORY, type UserState } from '../../src/engine/userState';
import { flowHandler } from '../../src/runtime/flowHandler';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import type { InboxItem } from '../../src/store/ports';
import { parseWebhook } from '../../src/webhook/parseWebhook';
import { HOUR, flowSet } from './engineFixtures';

/**
 * What the state records for audiences and broadcast statistics, from Meta's real payload shapes:
 * the referral a customer came with (m.me link, click-to-Messenger ad, chat plugin, Get Started
 * postback, an ad's first message) and the delivery / read watermarks. Neither changes what the
 * bot says: a referral only does what its trigger does; a receipt does nothing but move a mark.
 */

const DAY = 24 * HOUR;
const flows = flowSet([
  {
    id: 'shop',
    start: 'welcome',
    triggers: [
      { get_started: true },
      { ref: 'USER_DEFINED_REFERRAL_PARAM', goto: 'promo' },
      { ref: 'spring-shoes', goto: 'promo' },
    ],
    nodes: { welcome: { say: [{ text: 'Hi' }] }, promo: { say: [{ text: 'Sale!' }] } },
  },
]);

function eventsOf(file: string, dir = join(__dirname, '..', 'fixtures', 'webhooks')): MessengerEvent[] {
  const parsed = parseWebhook(JSON.parse(readFileSync(join(dir, file), 'utf8')), 1_700_000_000_000);
  if (parsed.type !== 'ok') throw new Error(`fixture ${file} did not parse: ${parsed.type}`);
  return parsed.events;
}
const adFixture = eventsOf('ad-referrals.json', join(__dirname, 'fixtures'));

/** The first event of `kind` in a fixture. */
function first(events: MessengerEvent[], kind: MessengerEvent['kind']): MessengerEvent {
  const found = events.find((e) => e.kind === kind);
  if (!found) throw new Error(`no ${kind} event in the fixture`);
  return found;
}

const apply = (e: MessengerEvent, now: number, state: UserState = initialUserState()) =>
  transition(flows, state, toEngineEvent(e, 'our-app'), now);
const texts = (effects: readonly EngineEffect[]) =>
  effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? [e.message.text] : []));

describe('referrals on the state', () => {
  it('an m.me link (messaging_referrals, SHORTLINK): recorded, and its ref trigger runs as before', () => {
    const e = first(eventsOf('botbuilder-dotnet__PayloadWithReferral.json'), 'referral');
    const r = apply(e, e.timestamp + 1000);
    expect(r.state.referral).toEqual({ ref: 'USER_DEFINED_REFERRAL_PARAM', source: 'SHORTLINK', adId: null, at: e.timestamp });
    expect(r.state.referrals).toEqual([r.state.referral]);
    expect(r.effects.map((x) => x.type)).toEqual(['mark_seen', 'send']);
    expect(texts(r.effects)).toEqual(['Sale!']);
    expect(r.state.windowEndsAt).toBe(e.timestamp + DAY);
  });

  it('a click-to-Messenger ad (source ADS with ad_id): ref, source and ad id; the 7-day window', () => {
    const e = adFixture[0] as MessengerEvent;
    const r = apply(e, e.timestamp + 1000);
    expect(r.state.referral).toEqual({ ref: 'spring-shoes', source: 'ADS', adId: '6045246247433', at: e.timestamp });
    expect(texts(r.effects)).toEqual(['Sale!']);
    expect(r.state.windowEndsAt).toBe(e.timestamp + 7 * DAY);
  });

  it("an ad's first message (message.referral): recorded with a 7-day window; the text is answered as any text", () => {
    const e = first(adFixture, 'message');
    const r = apply(e, e.timestamp + 1000);
    expect(r.state.referral).toEqual({ ref: null, source: 'ADS', adId: '6045246247433', at: e.timestamp });
    expect(r.state.windowEndsAt).toBe(e.timestamp + 7 * DAY);
    // The same message without its referral gets the same reply (the default flow's start).
    const plain = { ...e, raw: { ...e.raw, message: { mid: 'm_x', text: 'Do you have these in 42?' } } };
    expect(r.effects).toEqual(apply(plain, e.timestamp + 1000).effects);
    expect(texts(r.effects)).toEqual(['Hi']);
  });

  it('the chat plugin (CUSTOMER_CHAT_PLUGIN): recorded with its source; no trigger, so the default flow starts', () => {
    const e = adFixture[2] as MessengerEvent;
    const r = apply(e, e.timestamp + 1000);
    expect(r.state.referral).toEqual({ ref: 'footer', source: 'CUSTOMER_CHAT_PLUGIN', adId: null, at: e.timestamp });
    expect(texts(r.effects)).toEqual(['Hi']);
  });

  it('a Get Started postback carrying a referral: recorded, and the ref trigger wins as before', () => {
    const e = first(eventsOf('botbuilder-dotnet__PayloadWithPostBack.json'), 'postback');
    const r = apply(e, e.timestamp + 1000);
    expect(r.state.referral).toMatchObject({ ref: 'USER_DEFINED_REFERRAL_PARAM', source: 'SHORTLINK', adId: null });
    expect(texts(r.effects)).toEqual(['Sale!']);
  });

  it('keeps the latest and a bounded history, oldest first; a message without one changes neither', () => {
    const e = adFixture[0] as MessengerEvent;
    let state = initialUserState();
    for (let i = 0; i < REFERRAL_HISTORY + 3; i++)
      state = apply({ ...e, timestamp: e.timestamp + i }, e.timestamp + 10_000, state).state;
    expect(state.referrals).toHaveLength(REFERRAL_HISTORY);
    expect(state.referrals.at(-1)).toEqual(state.referral);
    expect(state.referrals[0]?.at).toBe(e.timestamp + 3);
    const text = { ...e, kind: 'message' as const, raw: { message: { mid: 'm_y', text: 'hi' } } };
    const after = apply(text, e.timestamp + 20_000, state).state;
    expect(after.referral).toEqual(state.referral);
    expect(after.referrals).toEqual(state.referrals);
  });

  it('an m.me link opened while a person owns the thread (standby): recorded; the thread stays with the person, the bot is silent', () => {
    const e = { ...first(eventsOf('botbuilder-dotnet__PayloadWithReferral.json'), 'referral'), channel: 'standby' as const };
    const human = { ...initialUserState(), thread: 'human' as const };
    const r = apply(e, e.timestamp + 1000, human);
    expect(r.state.referral).toMatchObject({ ref: 'USER_DEFINED_REFERRAL_PARAM', source: 'SHORTLINK' });
    expect(r.state.thread).toBe('human');
    expect(r.effects.filter((x) => x.type === 'send' || x.type === 'handover')).toEqual([]);
  });
});

describe('delivery and read watermarks', () => {
  const delivery = first(eventsOf('fbmessenger-api-hs__wsDeliveryRequest.json'), 'delivery');
  const read = first(eventsOf('echo-read-reaction.json'), 'read');
  const now = 1_800_000_000_000;
  const talked: UserState = { ...initialUserState(), lastInboundAt: now - HOUR, windowEndsAt: now + 23 * HOUR, inbound: 3 };

  it('a delivery (mids and watermark) moves deliveredUpTo; nothing is sent, the window and the customer count stay', () => {
    const r = apply(delivery, now, talked);
    expect(r.state.delivery).toEqual({ deliveredUpTo: 1458668856253, readUpTo: null });
    expect(r.effects).toEqual([]);
    expect(r.state).toEqual({ ...talked, delivery: r.state.delivery });
  });

  it('a read moves readUpTo, and deliveredUpTo with it (what was read was delivered)', () => {
    const r = apply(read, now, talked);
    expect(r.state.delivery).toEqual({ deliveredUpTo: 1732400000001, readUpTo: 1732400000001 });
    expect(r.effects).toEqual([]);
    expect(r.state).toEqual({ ...talked, delivery: r.state.delivery });
  });

  it('never moves back: an older (or redelivered) receipt after a newer one changes nothing', () => {
    const newer = apply(read, now, talked).state;
    expect(apply(delivery, now, newer).state.delivery).toEqual(newer.delivery);
    expect(apply(read, now, newer).state.delivery).toEqual(newer.delivery);
  });

  it('a watermark ahead of our clock counts only up to now (no later send is taken as delivered)', () => {
    const ahead = { ...delivery, raw: { delivery: { watermark: now + HOUR } } };
    expect(apply(ahead, now, talked).state.delivery.deliveredUpTo).toBe(now);
  });

  it('while a person owns the thread (or on standby): the mark moves, the thread and the bot are untouched', () => {
    const human: UserState = { ...talked, thread: 'human', transcript: [{ at: now - HOUR, from: 'user', text: 'help' }] };
    for (const e of [read, { ...read, channel: 'standby' as const }, { ...delivery, channel: 'standby' as const }]) {
      const r = apply(e, now, human);
      expect(r.effects).toEqual([]);
      expect(r.state).toEqual({ ...human, delivery: r.state.delivery });
      expect(r.state.delivery.deliveredUpTo).not.toBeNull();
    }
  });

  it('a receipt never looks up the Messenger profile (it is not the customer writing)', async () => {
    const lookups: string[] = [];
    const handler = flowHandler(flows, {
      fetchProfile: async (psid) => {
        lookups.push(psid);
        return { first_name: 'Sam' };
      },
    });
    const item = (event: MessengerEvent) => ({ record: { event } }) as unknown as InboxItem;
    await handler.prepare?.(initialUserState(), item(delivery), now);
    await handler.prepare?.(initialUserState(), item(read), now);
    expect(lookups).toEqual([]);
    // The customer's own message does (so the check above is not vacuous).
    await handler.prepare?.(initialUserState(), item(first(adFixture, 'message')), now);
    expect(lookups).toEqual(['PSID_8']);
  });
});

describe('old states decode', () => {
  it('a state stored before referrals and receipts gets none of either, and keeps everything else', () => {
    const stored: Record<string, unknown> = JSON.parse(
      JSON.stringify({ ...initialUserState(), tags: ['vip'], fields: { ref: 'summer' }, lastInboundAt: 5 }),
    );
    delete stored.referral;
    delete stored.referrals;
    delete stored.delivery;
    const state = decodeUserState(stored);
    expect(state.referral).toBeNull();
    expect(state.referrals).toEqual([]);
    expect(state.delivery).toEqual({ deliveredUpTo: null, readUpTo: null });
    expect(state).toMatchObject({ tags: ['vip'], fields: { ref: 'summer' }, lastInboundAt: 5 });
    // Two decoded old states do not share one watermark object.
    expect(decodeUserState(stored).delivery).not.toBe(state.delivery);
  });
});
