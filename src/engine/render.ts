import type { Ask, MessageSpec } from '../flows/flowSchema';
import type { SendButton, SendMessage, SendQuickReply } from '../messenger/sendApiSchema';
import { interpolate, type Scalar } from './interpolate';
import { payloadFor } from './payloads';

export interface RenderContext {
  readonly flow: string;
  readonly node: string;
  readonly fields: Readonly<Record<string, Scalar>>;
  readonly defaults: Readonly<Record<string, Scalar>>;
}

type ButtonSpec = NonNullable<Extract<MessageSpec, { text: string }>['buttons']>[number];
type QuickReplySpec = NonNullable<Extract<MessageSpec, { text: string }>['quick_replies']>[number];

const fill = (ctx: RenderContext, s: string) => interpolate(s, ctx.fields, ctx.defaults);
const payload = (ctx: RenderContext, control: string, own?: string) => own ?? payloadFor({ flow: ctx.flow, node: ctx.node, control });

function button(ctx: RenderContext, b: ButtonSpec, control: string): SendButton {
  if ('url' in b) return { type: 'web_url', title: fill(ctx, b.title), url: fill(ctx, b.url) };
  if ('call' in b) return { type: 'phone_number', title: fill(ctx, b.title), payload: b.call };
  return { type: 'postback', title: fill(ctx, b.title), payload: payload(ctx, control, b.payload) };
}

function quickReply(ctx: RenderContext, q: QuickReplySpec, control: string): SendQuickReply {
  if ('type' in q) return { content_type: q.type === 'email' ? 'user_email' : 'user_phone_number' };
  return { content_type: 'text', title: fill(ctx, q.title), payload: payload(ctx, control, q.payload), ...(q.image_url ? { image_url: q.image_url } : {}) };
}

/** Turns one `say` entry into a Send API message; `typing` entries are not messages (null). */
export function renderMessage(ctx: RenderContext, spec: MessageSpec, index: number): SendMessage | null {
  if ('typing' in spec) return null;
  const qrs = spec.quick_replies?.map((q, j) => quickReply(ctx, q, `s${index}q${j}`));
  const withQrs = qrs && qrs.length > 0 ? { quick_replies: qrs } : {};
  if ('text' in spec) {
    if (spec.buttons && spec.buttons.length > 0) {
      const buttons = spec.buttons.map((b, j) => button(ctx, b, `s${index}b${j}`));
      return { attachment: { type: 'template', payload: { template_type: 'button', text: fill(ctx, spec.text), buttons } }, ...withQrs };
    }
    return { text: fill(ctx, spec.text), ...withQrs };
  }
  if ('cards' in spec) {
    const elements = spec.cards.map((c, k) => ({
      title: fill(ctx, c.title),
      ...(c.subtitle ? { subtitle: fill(ctx, c.subtitle) } : {}),
      ...(c.image_url ? { image_url: c.image_url } : {}),
      ...(c.url ? { default_action: { type: 'web_url' as const, url: c.url } } : {}),
      ...(c.buttons && c.buttons.length > 0 ? { buttons: c.buttons.map((b, j) => button(ctx, b, `s${index}c${k}b${j}`)) } : {}),
    }));
    const payload = { template_type: 'generic' as const, elements, ...(spec.square_images ? { image_aspect_ratio: 'square' as const } : {}) };
    return { attachment: { type: 'template', payload }, ...withQrs };
  }
  const [type, url] = 'image' in spec ? (['image', spec.image] as const) : 'video' in spec ? (['video', spec.video] as const) : (['file', spec.file] as const);
  return { attachment: { type, payload: { url } }, ...withQrs };
}

/** The question of an `ask`, with its choices as quick replies (and Messenger's email/phone chip). */
export function renderQuestion(ctx: RenderContext, ask: Ask, invalid: boolean): SendMessage {
  const text = fill(ctx, invalid ? (ask.invalid ?? `Sorry, that doesn't look right. ${ask.text}`) : ask.text);
  const qrs: SendQuickReply[] = (ask.choices ?? []).map((c, i) => ({ content_type: 'text', title: fill(ctx, c.title), payload: payload(ctx, `a${i}`) }));
  if (ask.capture === 'email') qrs.push({ content_type: 'user_email' });
  if (ask.capture === 'phone') qrs.push({ content_type: 'user_phone_number' });
  return qrs.length > 0 ? { text, quick_replies: qrs.slice(0, 13) } : { text };
}
