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
    expect(toEngineEvent(event({ raw: { message: { text: exact } } }))).toEqual({ type: 'text', text: exact, at: 1000, cause: 'k' });
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
