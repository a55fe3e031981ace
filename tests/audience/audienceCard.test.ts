import { audienceCardOf, cardJson, decodeAudienceCard } from '../../src/audience/audienceCard';
import { matches } from '../../src/audience/matches';
import { parseWhere } from '../../src/audience/parseWhere';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { flowSet } from '../engine/engineFixtures';

/** The card is made from the state alone: what each filter reads, and nothing it does not. */
const T = 1_780_000_000_000;
const state = (over: Partial<UserState>): UserState => ({ ...initialUserState(), ...over });

describe('audienceCardOf', () => {
  it('takes tags, fields, consent, window, last interaction, ref, position and thread from the state', () => {
    const card = audienceCardOf(
      state({
        tags: ['vip'],
        fields: { city: 'Paris', ref: 'summer-sale', age: 30 },
        consent: { offers: { subscribed: true, at: T, source: 'flow' }, news: { subscribed: false, at: T, source: 'keyword' } },
        lastInboundAt: T,
        windowEndsAt: T + 24 * 3_600_000,
        position: { flow: 'shop', version: 'abc', node: 'checkout' },
        thread: 'paused',
      }),
    );
    expect(card).toEqual({
      tags: ['vip'],
      fields: { city: 'Paris', ref: 'summer-sale', age: 30 },
      consent: { offers: true, news: false },
      last: T,
      window: T + 24 * 3_600_000,
      ref: 'summer-sale',
      flow: 'shop',
      node: 'checkout',
      thread: 'paused',
      mm: null,
    });
    // Nothing of the transcript, the profile or the ledger goes on the card.
    expect(Object.keys(card)).not.toEqual(expect.arrayContaining(['transcript']));
  });

  it("takes ref, source and ad id from the state's latest referral; without one, ref falls back to the ref field", () => {
    const referral = { ref: 'spring', source: 'ADS', adId: '6045246247433', at: T };
    expect(audienceCardOf(state({ referral, fields: { ref: 'old' } }))).toMatchObject({
      ref: 'spring',
      src: 'ADS',
      ad: '6045246247433',
    });
    const link = audienceCardOf(state({ referral: { ref: 'summer', source: 'SHORTLINK', adId: null, at: T } }));
    expect(link).toMatchObject({ ref: 'summer', src: 'SHORTLINK' });
    expect(link).not.toHaveProperty('ad');
    // An ad without a ref: the field (what a flow stored) still answers ref=…
    expect(audienceCardOf(state({ referral: { ...referral, ref: null }, fields: { ref: 'old' } })).ref).toBe('old');
    const none = audienceCardOf(state({ fields: { ref: 'old' } }));
    expect(none.ref).toBe('old');
    expect(none).not.toHaveProperty('src');
  });

  it('segments by ref and source work from the real referral events (through the engine)', () => {
    const flows = flowSet([{ id: 'shop', start: 'a', nodes: { a: { say: [{ text: 'Hi' }] } } }]);
    const ad = toEngineEvent({
      kind: 'referral',
      channel: 'messaging',
      pageId: 'p',
      userId: 'u',
      timestamp: T,
      dedupeKey: 'k',
      raw: { referral: { ref: 'spring', ad_id: '604', source: 'ADS', type: 'OPEN_THREAD' } },
    });
    const card = audienceCardOf(transition(flows, initialUserState(), ad, T + 1).state);
    const where = (...clauses: string[]) => {
      const parsed = parseWhere(clauses);
      if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
      return matches(card, parsed.filter, T + 1);
    };
    expect(where('ref=spring', 'source=ads', 'ad=604')).toBe(true);
    expect(where('source=shortlink')).toBe(false);
    expect(where('ref=summer')).toBe(false);
  });

  it('reads back a card stored before referrals (no src, no ad)', () => {
    const old = JSON.stringify({
      tags: [],
      fields: {},
      consent: {},
      last: null,
      window: null,
      ref: null,
      flow: null,
      node: null,
      thread: 'bot',
      mm: null,
    });
    const decoded = decodeAudienceCard(old);
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.card.src).toBeUndefined();
  });

  it('holds until when an active Marketing Messages token lasts; stopped ones do not count', () => {
    const token = (status: 'active' | 'stopped', expiresAt: number | null) => ({ token: 'secret', status, expiresAt, at: T });
    expect(audienceCardOf(state({ marketingTokens: { a: token('stopped', T + 5) } })).mm).toBeNull();
    expect(audienceCardOf(state({ marketingTokens: { a: token('active', T + 5), b: token('active', T + 9) } })).mm).toBe(T + 9);
    expect(audienceCardOf(state({ marketingTokens: { a: token('active', null) } })).mm).toBeGreaterThan(T * 1000);
    // The token itself (a credential) is never on the card.
    expect(JSON.stringify(audienceCardOf(state({ marketingTokens: { a: token('active', null) } })))).not.toContain('secret');
  });

  it('reads back what it stores, with the expiry; refuses what is not a card', () => {
    const card = audienceCardOf(state({ tags: ['x'] }));
    expect(decodeAudienceCard(cardJson(card, T))).toEqual({ ok: true, card: { ...card, exp: T } });
    expect(decodeAudienceCard('{')).toEqual({ ok: false, reason: 'not JSON' });
    expect(decodeAudienceCard('{"tags":[]}').ok).toBe(false);
  });
});
