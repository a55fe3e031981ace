import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendConsent, CONSENT_LEDGER_CAP, deriveConsent, type ConsentEntry } from '../../src/engine/consentLedger';
import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import { resubscribePayload, START_DECLINED_PAYLOAD } from '../../src/engine/payloads';
import { transition } from '../../src/engine/transition';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { messageSchema } from '../../src/platform/sendApiSchema';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { parseWebhook } from '../../src/webhook/parseWebhook';
import { HOUR, T0, flowSet, oneStepSequence } from './engineFixtures';

/**
 * The consent ledger, step by step on a fake clock: every opt-in and opt-out is appended with its
 * source and cause, and the current consent (state.consent) is the one derived from the ledger,
 * also after the state went through the store (JSON and decodeUserState).
 */
const shop = {
  id: 'shop',
  start: 'hello',
  triggers: [
    { keyword: 'join', goto: 'join' },
    { keyword: 'news', goto: 'news' },
    { keyword: 'tips', goto: 'tips' },
    { get_started: true },
  ],
  nodes: {
    hello: { say: [{ text: 'Hi' }], end: true },
    join: { actions: [{ subscribe: 'offers' }], say: [{ text: 'Joined' }], end: true },
    news: { actions: [{ subscribe: 'news' }], say: [{ text: 'News on' }], end: true },
    tips: { actions: [{ start_sequence: 'tips' }], say: [{ text: 'Tips on' }], end: true },
  },
};
const flows = flowSet([shop], { topic_titles: { offers: 'Offers & deals' } }, 'v1', [oneStepSequence('tips')]);

const say = (text: string, mid: string): EngineEvent => ({ type: 'text', text, cause: `mid:${mid}` });
const tap = (payload: string, title: string, mid: string): EngineEvent => ({
  type: 'payload',
  payload,
  text: title,
  cause: `mid:${mid}`,
});
const texts = (effects: readonly EngineEffect[]) =>
  effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? [e.message.text] : []));
const ofType = <T extends EngineEffect['type']>(effects: readonly EngineEffect[], type: T) =>
  effects.filter((e): e is Extract<EngineEffect, { type: T }> => e.type === type);

/** One step, then the state as the store gives it back: the invariant must hold on both. */
function step(state: UserState, event: EngineEvent, now: number) {
  const r = transition(flows, state, event, now);
  expect(r.state.consent).toEqual(deriveConsent(r.state.consentLedger));
  const stored = decodeUserState(JSON.parse(JSON.stringify(r.state)));
  expect(stored.consent).toEqual(r.state.consent);
  expect(stored.consentLedger).toEqual(r.state.consentLedger);
  return { state: stored, effects: r.effects };
}

describe('consent ledger: opt-in by a flow, STOP, START, re-subscribe', () => {
  it('records every change with time, source and cause; the derived consent matches at each step', () => {
    let s = initialUserState();
    // 1. a flow subscribes
    const joined = step(s, say('join', 'm1'), T0);
    s = joined.state;
    expect(s.consentLedger).toEqual([{ at: T0, topic: 'offers', subscribed: true, source: 'flow:shop/join', cause: 'mid:m1' }]);
    expect(s.consent).toEqual({ offers: { subscribed: true, at: T0, source: 'flow:shop/join' } });

    // 2. STOP withdraws it and says so
    const stopped = step(s, say('STOP', 'm2'), T0 + HOUR);
    s = stopped.state;
    expect(texts(stopped.effects)).toEqual(["You're unsubscribed. Send START any time to subscribe again."]);
    expect(s.consentLedger.at(-1)).toEqual({
      at: T0 + HOUR,
      topic: 'offers',
      subscribed: false,
      source: 'keyword:stop',
      cause: 'mid:m2',
    });
    expect(s.consent.offers).toEqual({ subscribed: false, at: T0 + HOUR, source: 'keyword:stop' });

    // 3. START asks; nothing is restored yet
    const asked = step(s, say('start', 'm3'), T0 + 2 * HOUR);
    s = asked.state;
    expect(s.consentLedger).toHaveLength(2);
    expect(s.consent.offers?.subscribed).toBe(false);
    expect(ofType(asked.effects, 'consent')).toEqual([]);
    const question = ofType(asked.effects, 'send')[0]?.message;
    expect(question).toEqual({
      text: 'Which updates would you like to get again?',
      quick_replies: [
        { content_type: 'text', title: 'Offers & deals', payload: resubscribePayload('offers') },
        { content_type: 'text', title: 'No thanks', payload: START_DECLINED_PAYLOAD },
      ],
    });

    expect(messageSchema.safeParse(question).success).toBe(true);

    // 4. tapping the topic re-subscribes, with START as its source
    const again = step(s, tap(resubscribePayload('offers'), 'Offers & deals', 'm4'), T0 + 3 * HOUR);
    s = again.state;
    expect(texts(again.effects)).toEqual(["You're subscribed. Send STOP any time to unsubscribe."]);
    expect(ofType(again.effects, 'consent')).toEqual([
      { type: 'consent', topic: 'offers', subscribed: true, source: 'keyword:start' },
    ]);
    expect(s.consentLedger.map((e) => [e.at, e.subscribed, e.source, e.cause])).toEqual([
      [T0, true, 'flow:shop/join', 'mid:m1'],
      [T0 + HOUR, false, 'keyword:stop', 'mid:m2'],
      [T0 + 3 * HOUR, true, 'keyword:start', 'mid:m4'],
    ]);
    expect(s.consent).toEqual({ offers: { subscribed: true, at: T0 + 3 * HOUR, source: 'keyword:start' } });

    // 5. the flow's subscribe again, from another source: a new entry; the same one repeated: none
    const flowAgain = step(s, say('join', 'm5'), T0 + 4 * HOUR);
    expect(flowAgain.state.consentLedger).toHaveLength(4);
    const repeat = step(flowAgain.state, say('join', 'm6'), T0 + 5 * HOUR);
    expect(repeat.state.consentLedger).toHaveLength(4);
    expect(ofType(repeat.effects, 'consent')).toEqual([]);
  });
});

describe('STOP', () => {
  const subscribedTwiceWithTips = () => {
    let s = initialUserState();
    for (const [i, word] of ['join', 'news', 'tips'].entries()) s = step(s, say(word, `s${i}`), T0 + i).state;
    expect(s.sequences).toHaveProperty('tips');
    return s;
  };

  it('withdraws every subscribed topic and every running sequence, and says so once', () => {
    const stop = step(subscribedTwiceWithTips(), say('stop', 'x1'), T0 + HOUR);
    expect(stop.state.consent.offers).toMatchObject({ subscribed: false, source: 'keyword:stop' });
    expect(stop.state.consent.news).toMatchObject({ subscribed: false, source: 'keyword:stop' });
    expect(stop.state.sequences).toEqual({});
    expect(ofType(stop.effects, 'consent').map((e) => [e.topic, e.subscribed])).toEqual([
      ['offers', false],
      ['news', false],
    ]);
    expect(ofType(stop.effects, 'sequence')).toEqual([{ type: 'sequence', action: 'stop', sequence: 'tips' }]);
    expect(texts(stop.effects)).toEqual(["You're unsubscribed. Send START any time to subscribe again."]);
  });

  it('a second STOP changes nothing and does not repeat the confirmation', () => {
    const first = step(subscribedTwiceWithTips(), say('stop', 'x1'), T0 + HOUR);
    const second = step(first.state, say('STOP', 'x2'), T0 + 2 * HOUR);
    expect(second.state.consentLedger).toEqual(first.state.consentLedger);
    expect(ofType(second.effects, 'consent')).toEqual([]);
    expect(ofType(second.effects, 'sequence')).toEqual([]);
    expect(texts(second.effects)).toEqual(["You're already unsubscribed. Send START any time to subscribe again."]);
    // and nothing at all when the marketer empties that message
    const quiet = flowSet([shop], { messages: { already_stopped: '' } });
    expect(texts(transition(quiet, first.state, say('stop', 'x3'), T0 + 3 * HOUR).effects)).toEqual([]);
  });

  it('a first STOP from someone who never subscribed records the refusal of the settings topic and confirms it', () => {
    const stop = step(initialUserState(), say('stop', 'y1'), T0);
    expect(stop.state.consent).toEqual({ offers: { subscribed: false, at: T0, source: 'keyword:stop' } });
    expect(texts(stop.effects)).toEqual(["You're unsubscribed. Send START any time to subscribe again."]);
  });

  it('still counts while a person owns the thread or the bot is paused, without a word from the bot', () => {
    const subscribed = step(initialUserState(), say('join', 'h0'), T0).state;
    for (const thread of ['human', 'paused'] as const) {
      const standby: EngineEvent =
        thread === 'human' ? { type: 'standby_message', text: 'STOP', sentAt: T0 + 1, cause: 'mid:h1' } : say('stop', 'h1');
      const r = step({ ...subscribed, thread }, standby, T0 + HOUR);
      expect(r.state.consent.offers).toEqual({ subscribed: false, at: T0 + HOUR, source: 'keyword:stop' });
      expect(r.state.consentLedger.at(-1)?.cause).toBe('mid:h1');
      expect(ofType(r.effects, 'send')).toEqual([]);
    }
  });
});

describe('START', () => {
  it('asks about the withdrawn topics (most recent first) instead of restoring them; "No thanks" changes nothing', () => {
    let s = initialUserState();
    s = step(s, say('join', 'a'), T0).state;
    s = step(s, say('news', 'b'), T0 + 1).state;
    s = step(s, say('stop', 'c'), T0 + 2).state;
    const before = s.consentLedger;
    const asked = step(s, say('Start', 'd'), T0 + HOUR);
    expect(asked.state.consentLedger).toEqual(before);
    const titles = ofType(asked.effects, 'send')[0]?.message.quick_replies?.map((q) => ('title' in q ? q.title : ''));
    expect(titles).toEqual(['Offers & deals', 'news', 'No thanks']);
    const declined = step(asked.state, tap(START_DECLINED_PAYLOAD, 'No thanks', 'e'), T0 + 2 * HOUR);
    expect(declined.state.consentLedger).toEqual(before);
    expect(ofType(declined.effects, 'consent')).toEqual([]);
    expect(texts(declined.effects)).toEqual(['OK, nothing has changed.']);
  });

  it('offers the settings topic to someone who never withdrew anything, and says so when already subscribed', () => {
    const asked = step(initialUserState(), say('start', 'a'), T0);
    expect(asked.state.consent).toEqual({});
    expect(ofType(asked.effects, 'send')[0]?.message.quick_replies?.[0]).toMatchObject({ payload: resubscribePayload('offers') });
    const joined = step(initialUserState(), say('join', 'b'), T0).state;
    const already = step(joined, say('start', 'c'), T0 + 1);
    expect(texts(already.effects)).toEqual(["You're subscribed. Send STOP any time to unsubscribe."]);
    expect(ofType(already.effects, 'consent')).toEqual([]);
  });
});

describe("Meta's Marketing Messages opt-in webhooks", () => {
  const body: unknown = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'marketing-messages-optin.json'), 'utf8'));

  it('an opt-in keeps the token with its expiry and subscribes; STOP NOTIFICATIONS marks it stopped and unsubscribes; RESUME restores it', () => {
    const parsed = parseWebhook(body, 1795000000400);
    if (parsed.type !== 'ok') throw new Error('fixture does not parse');
    const [optin, stop, resume] = parsed.events.map((e) => ({ event: e, engine: toEngineEvent(e) }));
    if (!optin || !stop || !resume) throw new Error('expected three events');

    const a = step(initialUserState(), optin.engine, 1795000000500);
    expect(a.state.marketingTokens).toEqual({
      offers: { token: 'mm-token-secret-4', expiresAt: 1810000000000, status: 'active', at: 1795000000500 },
    });
    expect(a.state.consentLedger).toEqual([
      { at: 1795000000500, topic: 'offers', subscribed: true, source: 'messenger:optin', cause: optin.event.dedupeKey },
    ]);
    // The token never leaves the state: no effect carries it (effects are logged and kept in the outbox).
    expect(JSON.stringify(a.effects)).not.toContain('mm-token-secret-4');

    // The stop names no topic: it is found by its token. No reply, no window.
    const b = step(a.state, stop.engine, 1795000000600);
    expect(b.state.marketingTokens.offers).toEqual({
      token: 'mm-token-secret-4',
      expiresAt: 1810000000000,
      status: 'stopped',
      at: 1795000000600,
    });
    expect(b.state.consent.offers).toEqual({ subscribed: false, at: 1795000000600, source: 'messenger:optout' });
    expect(b.effects).toEqual([{ type: 'consent', topic: 'offers', subscribed: false, source: 'messenger:optout' }]);
    expect(b.state.windowEndsAt).toBe(a.state.windowEndsAt);

    // The same stop on standby, while a person owns the thread: recorded, nothing else.
    const standby: EngineEvent = {
      type: 'optin',
      ref: '',
      standby: true,
      marketing: { status: 'stop', topic: '', token: 'mm-token-secret-4' },
    };
    const quiet = step({ ...a.state, thread: 'human' }, standby, 1795000000600);
    expect(quiet.state.consent.offers).toMatchObject({ subscribed: false, source: 'messenger:optout' });
    expect(quiet.effects.map((e) => e.type)).toEqual(['consent']);

    const c = step(b.state, resume.engine, 1795000000700);
    expect(c.state.marketingTokens.offers?.status).toBe('active');
    expect(c.state.consentLedger.map((e) => [e.subscribed, e.source])).toEqual([
      [true, 'messenger:optin'],
      [false, 'messenger:optout'],
      [true, 'messenger:optin'],
    ]);
  });
});

describe('admin consent commands', () => {
  it('are recorded with the token name as source and the request as cause, silently, whoever owns the thread', () => {
    const paused = { ...initialUserState(), thread: 'paused' as const };
    const r = step(paused, { type: 'admin_consent', topic: 'news', subscribed: true, by: 'mark', cause: 'request:r1' }, T0);
    expect(r.state.consentLedger).toEqual([
      { at: T0, topic: 'news', subscribed: true, source: 'admin:mark', cause: 'request:r1' },
    ]);
    expect(r.effects).toEqual([{ type: 'consent', topic: 'news', subscribed: true, source: 'admin:mark' }]);
    expect(r.state.inbound).toBe(0);
  });
});

describe('states from before the ledger, and the cap', () => {
  it('an old stored state keeps its consent: the ledger is completed from it, then grows', () => {
    // What a release before the ledger stored: consent only (no consentLedger, no marketingTokens).
    const { consentLedger: _l, marketingTokens: _m, ...rest } = initialUserState();
    const old = { ...rest, consent: { offers: { subscribed: true, at: T0 - HOUR, source: 'keyword' } } };
    const s = decodeUserState(JSON.parse(JSON.stringify(old)));
    expect(s.consent).toEqual(old.consent);
    expect(s.consentLedger).toEqual([{ at: T0 - HOUR, topic: 'offers', subscribed: true, source: 'keyword', cause: 'migrated' }]);
    expect(s.marketingTokens).toEqual({});
    const stop = step(s, say('stop', 'z'), T0);
    expect(stop.state.consentLedger.map((e) => e.source)).toEqual(['keyword', 'keyword:stop']);
  });

  it(`keeps ${CONSENT_LEDGER_CAP} entries, dropping the oldest but never the latest of a topic`, () => {
    let ledger: ConsentEntry[] = [{ at: 0, topic: 'rare', subscribed: true, source: 'admin:a' }];
    for (let i = 1; i <= 700; i++)
      ledger = appendConsent(ledger, { at: i, topic: 'busy', subscribed: i % 2 === 0, source: 'admin:a' });
    expect(ledger).toHaveLength(CONSENT_LEDGER_CAP);
    expect(ledger[0]).toMatchObject({ topic: 'rare' });
    expect(ledger.at(-1)).toMatchObject({ at: 700 });
    expect(deriveConsent(ledger)).toEqual({
      rare: { subscribed: true, at: 0, source: 'admin:a' },
      busy: { subscribed: true, at: 700, source: 'admin:a' },
    });
  });
});

describe("synced subscribers (Meta's token list)", () => {
  const synced = (token: string, topic: string): EngineEvent => ({
    type: 'optin',
    ref: '',
    standby: true,
    marketing: { status: 'optin', topic, token, expiresAt: T0 + 100 * 24 * HOUR, synced: true },
  });

  it('keeps the token and subscribes a topic the ledger never heard of', () => {
    const r = transition(flows, initialUserState(), synced('tok-1', 'offers'), T0);
    expect(r.state.marketingTokens.offers).toMatchObject({ token: 'tok-1', status: 'active' });
    expect(r.state.consent.offers).toMatchObject({ subscribed: true, source: 'messenger:sync' });
  });

  it('never undoes a withdrawal the ledger recorded (a STOP said to the bot, an admin opt-out)', () => {
    const joined = transition(flows, initialUserState(), say('join', 'j1'), T0).state;
    const stopped = transition(flows, joined, say('stop', 's1'), T0 + HOUR).state;
    expect(stopped.consent.offers?.subscribed).toBe(false);
    const r = transition(flows, stopped, synced('tok-2', 'offers'), T0 + 2 * HOUR);
    expect(r.state.marketingTokens.offers).toMatchObject({ token: 'tok-2' });
    expect(r.state.consent.offers?.subscribed).toBe(false);
    expect(r.state.consentLedger).toEqual(stopped.consentLedger);
  });
});
