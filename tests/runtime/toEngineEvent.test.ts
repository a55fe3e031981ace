import { charCount, LIMITS } from '../../src/platform/sendApiSchema';
import { TEXT_CAP, toEngineEvent } from '../../src/runtime/toEngineEvent';
import type { MessengerEvent } from '../../src/store/messengerEvent';

const event = (over: Partial<MessengerEvent>): MessengerEvent => ({
  kind: 'message',
  channel: 'messaging',
  pageId: 'page',
  userId: 'psid',
  timestamp: 1_000,
  dedupeKey: 'k',
  raw: {},
  ...over,
});

const textOf = (e: ReturnType<typeof toEngineEvent>): string => ('text' in e && typeof e.text === 'string' ? e.text : '');

describe("a person's text is capped before the engine and the transcript", () => {
  const long = '!'.repeat(16_000);
  const emoji = '😀'.repeat(3_000); // 6,000 code units, 3,000 characters

  it("at Messenger's own limit for a text message", () => {
    expect(TEXT_CAP).toBe(LIMITS.text);
  });

  it.each([
    ['message text', event({ raw: { message: { text: long } } })],
    ['quick-reply text', event({ kind: 'quick_reply', raw: { message: { text: long, quick_reply: { payload: 'P' } } } })],
    ['postback title', event({ kind: 'postback', raw: { postback: { title: long, payload: 'P' } } })],
    ['standby text', event({ channel: 'standby', raw: { message: { text: long } } })],
    ["a person's text on the page (echo)", event({ kind: 'echo', raw: { message: { is_echo: true, text: long } } })],
  ])('%s', (_case, e) => {
    const text = textOf(toEngineEvent(e, 'our-app'));
    expect(charCount(text)).toBe(TEXT_CAP);
    expect(text.endsWith('…')).toBe(true);
    expect(text.startsWith('!!!')).toBe(true);
  });

  it('counts characters as Meta does (an emoji is one) and never splits one', () => {
    const text = textOf(toEngineEvent(event({ raw: { message: { text: emoji } } })));
    expect(charCount(text)).toBe(TEXT_CAP);
    expect(text).toBe(`${'😀'.repeat(TEXT_CAP - 1)}…`);
  });

  it('leaves text within the cap as it is, and keeps the payload whole', () => {
    const exact = 'x'.repeat(TEXT_CAP);
    expect(toEngineEvent(event({ raw: { message: { text: exact } } }))).toEqual({
      type: 'text',
      text: exact,
      at: 1000,
      cause: 'k',
    });
    expect(toEngineEvent(event({ raw: { message: { text: '😀'.repeat(TEXT_CAP) } } }))).toEqual({
      type: 'text',
      text: '😀'.repeat(TEXT_CAP),
      at: 1000,
      cause: 'k',
    });
    const qr = toEngineEvent(event({ kind: 'quick_reply', raw: { message: { text: 'Yes', quick_reply: { payload: 'YES' } } } }));
    expect(qr).toEqual({ type: 'payload', payload: 'YES', text: 'Yes', at: 1000, cause: 'k' });
  });
});

describe("the customer's own time", () => {
  it("every customer action carries Meta's timestamp, so the engine opens the window from it", () => {
    const kinds = [
      event({ raw: { message: { text: 'hi' } } }),
      event({ raw: { message: { attachments: [] } } }),
      event({ kind: 'quick_reply', raw: { message: { text: 'Yes', quick_reply: { payload: 'YES' } } } }),
      event({ kind: 'postback', raw: { postback: { payload: 'GET_STARTED', title: 'Get Started' } } }),
      event({ kind: 'referral', raw: { referral: { ref: 'summer', source: 'SHORTLINK' } } }),
      event({ kind: 'optin', raw: { optin: { ref: 'OFFERS' } } }),
      event({ kind: 'reaction', raw: { reaction: { reaction: 'love' } } }),
    ];
    for (const e of kinds) expect(toEngineEvent(e)).toMatchObject({ at: 1000 });
  });
});

describe('consent events', () => {
  it('reads a Marketing Messages opt-in (expiry in seconds or ms), a stop and a resume; a plugin opt-in has none', () => {
    const optin = (o: Record<string, unknown>) => toEngineEvent(event({ kind: 'optin', raw: { optin: o } }));
    const base = { type: 'notification_messages', payload: 'offers', notification_messages_token: 't1' };
    expect(optin({ ...base, token_expiry_timestamp: 1810000000 })).toEqual({
      type: 'optin',
      ref: 'offers',
      at: 1000,
      cause: 'k',
      marketing: { status: 'optin', topic: 'offers', token: 't1', expiresAt: 1810000000000 },
    });
    expect(optin({ ...base, token_expiry_timestamp: 1810000000000 })).toMatchObject({ marketing: { expiresAt: 1810000000000 } });
    expect(optin({ ...base, notification_messages_status: 'STOP NOTIFICATIONS' })).toMatchObject({
      marketing: { status: 'stop' },
    });
    expect(optin({ ...base, notification_messages_status: 'RESUME NOTIFICATIONS' })).toMatchObject({
      marketing: { status: 'resume' },
    });
    expect(optin({ ref: 'checkout' })).not.toHaveProperty('marketing');
    // On standby (the Page Inbox owns the thread) a stop still reaches the engine; a plugin opt-in does not.
    const standby = (o: Record<string, unknown>) =>
      toEngineEvent(event({ kind: 'optin', channel: 'standby', raw: { optin: o } }));
    expect(standby({ ...base, notification_messages_status: 'STOP NOTIFICATIONS' })).toMatchObject({
      type: 'optin',
      standby: true,
      marketing: { status: 'stop', token: 't1' },
    });
    expect(standby({ ref: 'checkout' })).toEqual({ type: 'none' });
  });

  it('reads an admin consent command, naming the token and the request; a malformed one is nothing', () => {
    const admin = (raw: Record<string, unknown>) => toEngineEvent(event({ kind: 'admin_command', raw }));
    expect(admin({ command: 'consent', topic: 'news', subscribed: false, by: 'mark', requestId: 'r1' })).toEqual({
      type: 'admin_consent',
      topic: 'news',
      subscribed: false,
      by: 'mark',
      cause: 'request:r1',
    });
    expect(admin({ command: 'consent', topic: 'news', subscribed: 'no' })).toEqual({ type: 'none' });
    expect(admin({ command: 'consent', subscribed: true })).toEqual({ type: 'none' });
  });
});

describe('referrals and receipts', () => {
  it("reads Meta's referral wherever it comes: the referral event, a postback, a message, a quick reply", () => {
    const ad = { ref: 'spring', ad_id: 6045246247433, source: 'ADS', type: 'OPEN_THREAD' };
    const referral = { ref: 'spring', source: 'ADS', adId: '6045246247433' };
    expect(toEngineEvent(event({ kind: 'referral', raw: { referral: ad } }))).toEqual({
      type: 'referral',
      ref: 'spring',
      fromAd: true,
      referral,
      at: 1000,
      cause: 'k',
    });
    expect(
      toEngineEvent(event({ kind: 'postback', raw: { postback: { payload: 'GET_STARTED', title: 'Go', referral: ad } } })),
    ).toMatchObject({
      type: 'payload',
      ref: 'spring',
      fromAd: true,
      referral,
    });
    expect(toEngineEvent(event({ raw: { message: { text: 'hi', referral: ad } } }))).toMatchObject({ type: 'text', referral });
    expect(toEngineEvent(event({ raw: { message: { attachments: [], referral: ad } } }))).toMatchObject({
      type: 'attachment',
      referral,
    });
    expect(
      toEngineEvent(event({ kind: 'quick_reply', raw: { message: { text: 'Y', quick_reply: { payload: 'Y' }, referral: ad } } })),
    ).toMatchObject({ type: 'payload', referral });
  });

  it('an m.me link has no ad id; a source is upper-cased (UNKNOWN when absent); a long ref is cut', () => {
    const of = (r: Record<string, unknown>) => toEngineEvent(event({ kind: 'referral', raw: { referral: r } }));
    expect(of({ ref: 'summer', source: 'shortlink' })).toMatchObject({
      fromAd: false,
      referral: { ref: 'summer', source: 'SHORTLINK', adId: null },
    });
    expect(of({ ref: 'x' })).toMatchObject({ referral: { source: 'UNKNOWN' } });
    expect(of({ source: 'ADS', ad_id: '1' })).toMatchObject({ ref: '', fromAd: true, referral: { ref: null, adId: '1' } });
    const long = of({ ref: 'r'.repeat(5000), source: 'SHORTLINK' });
    expect(long.type === 'referral' && charCount(long.referral?.ref ?? '')).toBe(256);
  });

  it('a delivery and a read become their watermark (ms; seconds read as ms); without one, nothing', () => {
    expect(
      toEngineEvent(event({ kind: 'delivery', raw: { delivery: { mids: ['m_1'], watermark: 1458668856253, seq: 37 } } })),
    ).toEqual({
      type: 'delivered',
      watermark: 1458668856253,
    });
    expect(toEngineEvent(event({ kind: 'read', raw: { read: { watermark: '1458668856' } } }))).toEqual({
      type: 'read',
      watermark: 1458668856000,
    });
    expect(toEngineEvent(event({ kind: 'delivery', raw: { delivery: { mids: ['m_1'] } } }))).toEqual({ type: 'none' });
    // On standby too: how far our messages got says nothing about who owns the thread.
    expect(toEngineEvent(event({ kind: 'read', channel: 'standby', raw: { read: { watermark: 5e12 } } }))).toEqual({
      type: 'read',
      watermark: 5e12,
    });
  });

  it('a referral on standby is recorded like a standby message (no text); other standby events stay nothing', () => {
    const r = toEngineEvent(
      event({ kind: 'referral', channel: 'standby', raw: { referral: { ref: 'summer', source: 'SHORTLINK' } } }),
    );
    expect(r).toEqual({
      type: 'standby_message',
      text: '',
      sentAt: 1000,
      cause: 'k',
      referral: { ref: 'summer', source: 'SHORTLINK', adId: null },
    });
    expect(toEngineEvent(event({ kind: 'postback', channel: 'standby', raw: { postback: { title: 'x' } } }))).toEqual({
      type: 'none',
    });
  });
});
