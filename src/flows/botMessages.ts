import type { SendButton, SendMessage } from '../platform/sendApiSchema';
import type { ExpectedMessage } from './flowTestSchema';

/**
 * What a conversation test sees of the bot's messages: texts, quick-reply, button and card titles,
 * in the words a marketer wrote them, and how an expected message compares with one the bot sent.
 */

/** Something the customer can tap in a message: its title, what it sends, and the card it is on. */
export interface Tappable {
  readonly title: string;
  readonly kind: 'quick reply' | 'button' | 'link' | 'call';
  /** The postback or quick-reply payload (absent for links and calls). */
  readonly payload?: string;
  readonly card?: string;
}

export interface MessageView {
  readonly text?: string;
  readonly quickReplies: readonly string[];
  readonly buttons: readonly string[];
  readonly cards: readonly string[];
  readonly media?: string;
}

const buttonTap = (b: SendButton, card?: string): Tappable => {
  const on = card === undefined ? {} : { card };
  if (b.type === 'postback') return { title: b.title, kind: 'button', payload: b.payload, ...on };
  return { title: b.title, kind: b.type === 'web_url' ? 'link' : 'call', ...on };
};

/** Every tappable control of a message, quick replies last (they sit under it). */
export function tappables(m: SendMessage): Tappable[] {
  const out: Tappable[] = [];
  if ('attachment' in m && m.attachment.type === 'template') {
    const p = m.attachment.payload;
    if (p.template_type === 'button') out.push(...p.buttons.map((b) => buttonTap(b)));
    else for (const e of p.elements) out.push(...(e.buttons ?? []).map((b) => buttonTap(b, e.title)));
  }
  for (const q of m.quick_replies ?? [])
    if (q.content_type === 'text') out.push({ title: q.title, kind: 'quick reply', payload: q.payload });
  return out;
}

export function viewOf(m: SendMessage): MessageView {
  const quickReplies = (m.quick_replies ?? []).map((q) =>
    q.content_type === 'text' ? q.title : q.content_type === 'user_email' ? '(email)' : '(phone)',
  );
  if ('text' in m) return { text: m.text, quickReplies, buttons: [], cards: [] };
  const a = m.attachment;
  if (a.type !== 'template') return { media: `${a.type} ${a.payload.url}`, quickReplies, buttons: [], cards: [] };
  const p = a.payload;
  if (p.template_type === 'button') return { text: p.text, quickReplies, buttons: p.buttons.map((b) => b.title), cards: [] };
  return { quickReplies, buttons: [], cards: p.elements.map((e) => e.title) };
}

const list = (titles: readonly string[]) => titles.join(' | ');

/** One line for a diff: the text in quotes, then what can be tapped. */
export function describeView(v: MessageView): string {
  const parts = [
    v.text !== undefined ? JSON.stringify(v.text) : undefined,
    v.media,
    v.cards.length > 0 ? `cards: ${list(v.cards)}` : undefined,
    v.buttons.length > 0 ? `[buttons: ${list(v.buttons)}]` : undefined,
    v.quickReplies.length > 0 ? `[quick replies: ${list(v.quickReplies)}]` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join('  ');
}

export function describeExpected(e: ExpectedMessage): string {
  if (typeof e === 'string') return JSON.stringify(e);
  const parts = [
    e.text !== undefined ? JSON.stringify(e.text) : undefined,
    e.contains !== undefined ? `containing ${JSON.stringify(e.contains)}` : undefined,
    e.cards ? `cards: ${list(e.cards)}` : undefined,
    e.buttons ? `[buttons: ${list(e.buttons)}]` : undefined,
    e.quick_replies ? `[quick replies: ${list(e.quick_replies)}]` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join('  ');
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Why the message does not match the expectation, or undefined when it does. */
export function mismatch(e: ExpectedMessage, v: MessageView): string | undefined {
  const want = typeof e === 'string' ? { text: e } : e;
  if (want.text !== undefined && v.text !== want.text) return 'the text differs';
  if (want.contains !== undefined && !(v.text ?? '').includes(want.contains))
    return `the text does not contain ${JSON.stringify(want.contains)}`;
  if (want.quick_replies && !sameList(want.quick_replies, v.quickReplies)) return 'the quick replies differ';
  if (want.buttons && !sameList(want.buttons, v.buttons)) return 'the buttons differ';
  if (want.cards && !sameList(want.cards, v.cards)) return 'the cards differ';
  return undefined;
}
