import { settingsSchema } from '../../src/engine/flowSchema';
import { DISCLOSURE_TEXT, disclosureText } from '../../src/engine/disclosureSettings';
import { transition } from '../../src/engine/transition';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { flowSet, HOUR, T0, tap, text, textsIn } from './engineFixtures';

const DAY = 24 * HOUR;

const shop = {
  id: 'shop',
  start: 'welcome',
  entry: 'menu',
  triggers: [{ keyword: 'hello' }],
  nodes: {
    welcome: { say: [{ text: 'Hi {{first_name}}! Welcome.' }], next: 'menu' },
    menu: { say: [{ text: 'Pick one.', quick_replies: [{ title: 'FAQ', goto: 'faq' }] }] },
    faq: { say: [{ text: 'Free shipping over $50.' }] },
    human: { handover: { reason: 'asked' } },
  },
  fallback: { text: 'Sorry, I did not get that.' },
};

const disclosure = (d: Record<string, unknown>) => flowSet([shop], { disclosure: d });
const BOT = 'You are chatting with a bot, there.';
/** The first paragraph of the first text sent. */
const firstParagraph = (effects: Parameters<typeof textsIn>[0]) => textsIn(effects)[0]?.split('\n\n')[0];
const on = disclosure({
  after_silence_days: 30,
  messages: {
    default: 'You are chatting with a bot, {{first_name}}.',
    fr: 'Vous parlez à un robot.',
    fr_CA: 'Vous jasez avec un robot.',
  },
});

/** The state after `events` texts, each a day apart from T0 on. */
function after(flows = on, events: string[] = ['hello'], state: UserState = initialUserState()): UserState {
  return events.reduce((s, t, i) => transition(flows, s, text(t), T0 + i * DAY).state, state);
}

describe('disclosure: the customer is told they talk to an automated assistant', () => {
  it('is on by default in settings.yaml, with a built-in English text', () => {
    const settings = settingsSchema.parse({});
    expect(settings.disclosure).toEqual({ enabled: true, after_silence_days: 30, messages: { default: DISCLOSURE_TEXT } });
    expect(DISCLOSURE_TEXT).toMatch(/automated assistant/);
  });

  it("a first-time customer's first reply starts with it, as the first paragraph of the flow's first message, once", () => {
    const r = transition(on, initialUserState(), text('hello'), T0);
    // No Send API call of its own: the flow's first text carries it.
    expect(textsIn(r.effects)).toEqual([`${BOT}\n\nHi there! Welcome.`, 'Pick one.']);
    expect(r.effects.filter((e) => e.type === 'send')[0]).toMatchObject({ messaging: 'RESPONSE', promotional: false });
    expect(r.state.disclosedAt).toBe(T0);
    // The next message, an hour later, is answered without it.
    expect(textsIn(transition(on, r.state, tap('nothing', 'FAQ'), T0 + HOUR).effects)).toEqual(['Free shipping over $50.']);
  });

  it('comes first whatever answers: the fallback, a global keyword, a handover', () => {
    const inFlow = { ...initialUserState(), position: { flow: 'shop', version: 'v1', node: 'menu' } };
    expect(textsIn(transition(on, inFlow, text('qwerty'), T0).effects)).toEqual([`${BOT}\n\nSorry, I did not get that.`]);
    expect(firstParagraph(transition(on, initialUserState(), text('human'), T0).effects)).toBe(BOT);
  });

  it('is a message of its own before a first message that is not a text (or has no room), outside the message cap', () => {
    const cards = {
      ...shop,
      nodes: { ...shop.nodes, welcome: { say: [{ cards: [{ title: 'Trail shoe' }] }] } },
    };
    const capped = flowSet([cards], { max_messages_per_event: 1, disclosure: { messages: { default: 'Bot here.' } } });
    const r = transition(capped, initialUserState(), text('hello'), T0);
    expect(r.effects.filter((e) => e.type === 'send').map((e) => ('text' in e.message ? e.message.text : 'cards'))).toEqual([
      'Bot here.',
      'cards',
    ]);
    const long = flowSet([{ ...shop, nodes: { ...shop.nodes, welcome: { say: [{ text: 'x'.repeat(1990) }] } } }], {
      disclosure: { messages: { default: 'Bot here.' } },
    });
    expect(textsIn(transition(long, initialUserState(), text('hello'), T0).effects)).toEqual(['Bot here.', 'x'.repeat(1990)]);
  });

  it('an event the bot does not answer sends nothing and leaves it due for the next reply', () => {
    const r = transition(on, initialUserState(), { type: 'reaction' }, T0);
    expect(textsIn(r.effects)).toEqual([]);
    expect(r.state.disclosedAt).toBeNull();
    expect(firstParagraph(transition(on, r.state, text('hello'), T0 + HOUR).effects)).toBe(BOT);
  });

  it('comes again when the customer writes after the configured silence, not before', () => {
    const told = after(on, ['hello']); // told at T0
    const at = (t: number) => firstParagraph(transition(on, told, text('hello'), t).effects);
    expect(at(T0 + 30 * DAY - 1)).toBe('Hi there! Welcome.');
    expect(at(T0 + 30 * DAY)).toBe(BOT);
    // Silence counts from the customer's last message, not from the last disclosure.
    const chatty = after(
      on,
      Array.from({ length: 40 }, () => 'hello'),
    ); // one message a day, 40 days
    expect(chatty.disclosedAt).toBe(T0);
    const r = transition(on, chatty, text('hello'), T0 + 40 * DAY);
    expect(textsIn(r.effects)[0]).toBe('Hi there! Welcome.');
    expect(r.state.disclosedAt).toBe(T0);
  });

  it('with after_silence_days 0 it is said at first contact only', () => {
    const once = disclosure({ after_silence_days: 0, messages: { default: 'Bot here.' } });
    const told = after(once, ['hello']);
    expect(textsIn(transition(once, told, text('hello'), T0 + 365 * DAY).effects)).toEqual(['Hi there! Welcome.', 'Pick one.']);
  });

  it('is never sent when disabled', () => {
    const off = disclosure({ enabled: false });
    const r = transition(off, initialUserState(), text('hello'), T0);
    expect(textsIn(r.effects)).toEqual(['Hi there! Welcome.', 'Pick one.']);
    expect(r.state.disclosedAt).toBeNull();
    expect(textsIn(transition(off, r.state, text('hello'), T0 + 100 * DAY).effects)).toEqual(['Hi there! Welcome.', 'Pick one.']);
  });

  it("speaks the locale of the user's Messenger profile: the locale, then its language, then default", () => {
    const first = (locale: string | undefined) =>
      firstParagraph(
        transition(on, initialUserState(), text('hello'), T0, { ok: true, first_name: 'Ana', ...(locale ? { locale } : {}) })
          .effects,
      );
    expect(first('fr_CA')).toBe('Vous jasez avec un robot.');
    expect(first('fr_FR')).toBe('Vous parlez à un robot.');
    expect(first('de_DE')).toBe('You are chatting with a bot, Ana.');
    expect(first(undefined)).toBe('You are chatting with a bot, Ana.');
    // A failed profile lookup: the default text.
    expect(firstParagraph(transition(on, initialUserState(), text('hello'), T0, { ok: false }).effects)).toBe(BOT);
    // Without a default of its own, the built-in English text.
    expect(disclosureText({ enabled: true, after_silence_days: 30, messages: { fr: 'Robot.' } }, 'es_ES')).toBe(DISCLOSURE_TEXT);
  });

  it('is not sent while a person owns the thread; the welcome-back, which says it, counts as the disclosure', () => {
    const human: UserState = { ...after(on, ['hello']), thread: 'human' };
    const silent = transition(on, human, text('hello'), T0 + 60 * DAY);
    expect(textsIn(silent.effects)).toEqual([]);
    const back = transition(on, silent.state, { type: 'control_returned', at: T0 + 61 * DAY }, T0 + 61 * DAY);
    expect(textsIn(back.effects)).toEqual([settingsSchema.parse({}).messages.welcome_back]);
    expect(back.state.disclosedAt).toBe(T0 + 61 * DAY);
    expect(textsIn(transition(on, back.state, text('hello'), T0 + 61 * DAY + HOUR).effects)[0]).toBe('Hi there! Welcome.');
  });

  it('a user stored before disclosures existed (no disclosedAt) is told at their next reply', () => {
    const { disclosedAt: _dropped, ...old } = after(disclosure({ enabled: false }), ['hello']);
    expect(firstParagraph(transition(on, decodeUserState(old), text('hello'), T0 + HOUR).effects)).toBe(BOT);
  });
});
