import type { MessageSpec } from '../engine/flowSchema';

/**
 * Words that mark a message as promotional. Meta bans deals, offers, coupons and discounts under
 * every message tag, so a tagged broadcast containing one is probably breaking the rules; the
 * linter warns (a word can be innocent: "sale" in "your sale receipt"), it does not refuse. The one
 * list of them (broadcasts and sequence steps both check against it); matched case-insensitively on
 * word boundaries.
 */
export const PROMOTIONAL_WORDS = [
  'discount',
  'discounts',
  '% off',
  'coupon',
  'coupons',
  'voucher',
  'sale',
  'sales',
  'promo',
  'promo code',
  'promotion',
  'deal',
  'deals',
  'offer',
  'offers',
  'free shipping',
  'clearance',
  'bogo',
  'buy one get one',
  'limited time',
  'black friday',
  'cyber monday',
] as const;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// "% off" starts with a non-word character, so its left boundary is the digit before it, not \b.
const PATTERN = new RegExp(
  `(?:${PROMOTIONAL_WORDS.map((w) => (/^\w/.test(w) ? `\\b${escape(w)}\\b` : `${escape(w)}\\b`)).join('|')})`,
  'iu',
);

/** The first promotional word in `text`, as written there, or undefined. */
export function promotionalWordIn(text: string): string | undefined {
  return PATTERN.exec(text)?.[0];
}

/** Every text a user reads in a message: text, card titles and subtitles, button and quick reply titles. */
function textsOf(spec: MessageSpec): string[] {
  if ('typing' in spec) return [];
  const qr = (spec.quick_replies ?? []).flatMap((q) => ('title' in q ? [q.title] : []));
  if ('text' in spec) return [spec.text, ...(spec.buttons ?? []).map((x) => x.title), ...qr];
  if ('cards' in spec)
    return [...spec.cards.flatMap((c) => [c.title, c.subtitle ?? '', ...(c.buttons ?? []).map((x) => x.title)]), ...qr];
  return qr;
}

/** The first promotional word anywhere a user reads in `spec`, or undefined. */
export const promotionalWordInMessage = (spec: MessageSpec): string | undefined =>
  textsOf(spec)
    .map(promotionalWordIn)
    .find((w) => w !== undefined);
