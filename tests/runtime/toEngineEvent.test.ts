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
