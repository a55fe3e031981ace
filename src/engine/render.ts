import type { Ask, MessageSpec } from './flowSchema';
import { LIMITS, clip, type SendButton, type SendMessage, type SendQuickReply } from '../platform/sendApiSchema';
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

const fill = (ctx: RenderContext, s: string, max: number = LIMITS.text): string =>
  clip(interpolate(s, ctx.fields, ctx.defaults), max);
const encoded = (values: Readonly<Record<string, Scalar>>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeURIComponent(String(v))]));
/** In a URL, interpolated values are percent-encoded so a user's answer cannot change the link. */
const fillUrl = (ctx: RenderContext, s: string) => interpolate(s, encoded(ctx.fields), encoded(ctx.defaults));
const payload = (ctx: RenderContext, control: string, own?: string) =>
  own ?? payloadFor({ flow: ctx.flow, node: ctx.node, control });

function button(ctx: RenderContext, b: ButtonSpec, control: string): SendButton {
  const title = fill(ctx, b.title, LIMITS.buttonTitle);
  if ('url' in b) return { type: 'web_url', title, url: fillUrl(ctx, b.url) };
  if ('call' in b) return { type: 'phone_number', title, payload: b.call };
  return { type: 'postback', title, payload: payload(ctx, control, b.payload) };
}

function quickReply(ctx: RenderContext, q: QuickReplySpec, control: string): SendQuickReply {
  if ('type' in q) return { content_type: q.type === 'email' ? 'user_email' : 'user_phone_number' };
  return {
    content_type: 'text',
    title: fill(ctx, q.title, LIMITS.quickReplyTitle),
    payload: payload(ctx, control, q.payload),
    ...(q.image_url ? { image_url: fillUrl(ctx, q.image_url) } : {}),
  };
}

/** Turns one `say` entry into a Send API message; `typing` entries are not messages (null). */
export function renderMessage(ctx: RenderContext, spec: MessageSpec, index: number): SendMessage | null {
  if ('typing' in spec) return null;
  const qrs = spec.quick_replies?.map((q, j) => quickReply(ctx, q, `s${index}q${j}`));
  const withQrs = qrs && qrs.length > 0 ? { quick_replies: qrs } : {};
  if ('text' in spec) {
    if (spec.buttons && spec.buttons.length > 0) {
      const buttons = spec.buttons.map((b, j) => button(ctx, b, `s${index}b${j}`));
      return {
        attachment: {
          type: 'template',
          payload: { template_type: 'button', text: fill(ctx, spec.text, LIMITS.buttonTemplateText), buttons },
        },
        ...withQrs,
      };
    }
    return { text: fill(ctx, spec.text), ...withQrs };
  }
  if ('cards' in spec) {
    const elements = spec.cards.map((c, k) => ({
      title: fill(ctx, c.title, LIMITS.elementTitle),
      ...(c.subtitle ? { subtitle: fill(ctx, c.subtitle, LIMITS.elementSubtitle) } : {}),
      ...(c.image_url ? { image_url: fillUrl(ctx, c.image_url) } : {}),
      ...(c.url ? { default_action: { type: 'web_url' as const, url: fillUrl(ctx, c.url) } } : {}),
      ...(c.buttons && c.buttons.length > 0 ? { buttons: c.buttons.map((b, j) => button(ctx, b, `s${index}c${k}b${j}`)) } : {}),
    }));
    const payload = {
      template_type: 'generic' as const,
      elements,
      ...(spec.square_images ? { image_aspect_ratio: 'square' as const } : {}),
    };
    return { attachment: { type: 'template', payload }, ...withQrs };
  }
  const [type, url] =
    'image' in spec
      ? (['image', spec.image] as const)
      : 'video' in spec
        ? (['video', spec.video] as const)
        : (['file', spec.file] as const);
  return { attachment: { type, payload: { url: fillUrl(ctx, url) } }, ...withQrs };
}

/** The question of an `ask`, with its choices as quick replies (and Messenger's email/phone chip). */
export function renderQuestion(ctx: RenderContext, ask: Ask, invalid: boolean): SendMessage {
  const text = fill(ctx, invalid ? (ask.invalid ?? `Sorry, that doesn't look right. ${ask.text}`) : ask.text);
  const qrs: SendQuickReply[] = (ask.choices ?? []).map((c, i) => ({
    content_type: 'text',
    title: fill(ctx, c.title, LIMITS.quickReplyTitle),
    payload: payload(ctx, `a${i}`),
  }));
  if (ask.capture === 'email') qrs.push({ content_type: 'user_email' });
  if (ask.capture === 'phone') qrs.push({ content_type: 'user_phone_number' });
  return qrs.length > 0 ? { text, quick_replies: qrs.slice(0, 13) } : { text };
}
