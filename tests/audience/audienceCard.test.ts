import { audienceCardOf, cardJson, decodeAudienceCard } from '../../src/audience/audienceCard';
import { initialUserState, type UserState } from '../../src/engine/userState';

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
