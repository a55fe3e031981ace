/**
 * Words that mark a message as promotional. Meta bans deals, offers, coupons and discounts under
 * every message tag, so a tagged broadcast containing one is probably breaking the rules; the
 * linter warns (a word can be innocent: "sale" in "your sale receipt"), it does not refuse. The one
 * list of them; matched case-insensitively on word boundaries.
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
