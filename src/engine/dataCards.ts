import { clip, httpsUrl, LIMITS, type SendButton, type SendMessage } from '../platform/sendApiSchema';
import { interpolate, type Scalar } from './interpolate';
import { readJsonPath } from './jsonPath';
import type { DataCards } from './requestSchema';

/**
 * A carousel built from data (an array in a request's response), with Messenger's limits enforced
 * on every generated card rather than refused: titles and subtitles cut to 80 characters with an
 * ellipsis, at most 10 cards, URLs kept only when they are https (Messenger refuses others), a
 * card without a title, or with nothing besides its title, dropped. Pure.
 */
interface Element {
  readonly title: string;
  readonly subtitle?: string;
  readonly image_url?: string;
  readonly default_action?: { readonly type: 'web_url'; readonly url: string };
  readonly buttons?: SendButton[];
}

/** Items looked at for cards: enough to find 10 good ones, bounded however long the answer's list. */
export const MAX_ITEMS_SCANNED = 200;
const MAX_URL = 2000;

interface FillCtx {
  readonly fields: Readonly<Record<string, Scalar>>;
  readonly defaults: Readonly<Record<string, Scalar>>;
}

const ITEM_PLACEHOLDER = /\{\{\s*item\.([^}\s|]+)\s*\}\}/g;

const scalarText = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/**
 * A card text: the user's {{field}}s first (the template's own), then {{item.<path>}} from the
 * item, so a value from the API is never read as a placeholder. When the template reads the item
 * and the item has none of those values, the text is empty ("$ · " is not a subtitle).
 */
function fillItem(template: string, item: unknown, ctx: FillCtx, max: number): string {
  const withFields = interpolate(template, ctx.fields, ctx.defaults);
  let reads = 0;
  let found = 0;
  const filled = withFields.replace(ITEM_PLACEHOLDER, (_m, path: string) => {
    const value = scalarText(readJsonPath(item, path));
    reads += 1;
    if (value) found += 1;
    return value;
  });
  return reads > 0 && found === 0 ? '' : clip(filled.trim(), max);
}

function urlAt(item: unknown, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const v = readJsonPath(item, path);
  return typeof v === 'string' && v.length <= MAX_URL && httpsUrl.safeParse(v).success ? v : undefined;
}

function card(spec: DataCards, item: unknown, ctx: FillCtx): Element | undefined {
  const title = fillItem(spec.title, item, ctx, LIMITS.elementTitle);
  if (!title) return undefined;
  const subtitle = spec.subtitle === undefined ? '' : fillItem(spec.subtitle, item, ctx, LIMITS.elementSubtitle);
  const image = urlAt(item, spec.image_url);
  const url = urlAt(item, spec.url);
  const buttons = (spec.buttons ?? []).flatMap((b) => {
    const link = urlAt(item, b.url);
    const t = fillItem(b.title, item, ctx, LIMITS.buttonTitle);
    return link && t ? [{ type: 'web_url' as const, title: t, url: link }] : [];
  });
  if (!subtitle && !image && !url && buttons.length === 0) return undefined;
  return {
    title,
    ...(subtitle ? { subtitle } : {}),
    ...(image ? { image_url: image } : {}),
    ...(url ? { default_action: { type: 'web_url' as const, url } } : {}),
    ...(buttons.length > 0 ? { buttons: buttons.slice(0, LIMITS.buttons) } : {}),
  };
}

/** The carousel for `json`, or undefined when no item makes a card (the `empty` branch). */
export function cardsFromData(spec: DataCards, json: unknown, ctx: FillCtx): SendMessage | undefined {
  const items = readJsonPath(json, spec.items);
  if (!Array.isArray(items)) return undefined;
  const elements: Element[] = [];
  for (const item of items.slice(0, MAX_ITEMS_SCANNED)) {
    const c = card(spec, item, ctx);
    if (c) elements.push(c);
    if (elements.length === LIMITS.genericElements) break;
  }
  return elements.length === 0
    ? undefined
    : { attachment: { type: 'template', payload: { template_type: 'generic', elements } } };
}
