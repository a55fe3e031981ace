import { LIMITS, clip, type SendButton } from '../platform/sendApiSchema';
import { cardUrl, valueKey, type Catalog, type IndexedProduct, type Product } from './catalog';
import type { CatalogButton, CatalogCondition, CatalogQuery } from './catalogQuery';
import { interpolate, type Scalar } from './interpolate';
import { normalize } from './normalize';

export { catalogQuerySchema, type CatalogQuery, type CatalogQueryInput } from './catalogQuery';

/** One card of a generic template, as the Send API schema (sendApiSchema.ts) accepts it. */
export interface CatalogElement {
  readonly title: string;
  readonly subtitle?: string;
  readonly image_url?: string;
  readonly default_action?: { readonly type: 'web_url'; readonly url: string };
  readonly buttons?: SendButton[];
}

export interface CatalogCards {
  /** At most the query's limit (≤ 10); empty when nothing matched: the query's `empty` applies. */
  readonly elements: CatalogElement[];
  /** The product shown on each card, in order. */
  readonly productIds: string[];
  /** More products matched than the cards show. */
  readonly more: boolean;
}

export interface CatalogCardOptions {
  /** Fallback values for {{field}} (settings.defaults), after the user's own fields. */
  readonly defaults?: Readonly<Record<string, Scalar>>;
  /** The payload of a postback (`goto`) button: which button of the query, on which product. */
  readonly payload?: (button: number, productId: string) => string;
}

const CATALOG_PAYLOAD = 'TS|catalog|';
/** The default postback payload: `TS|catalog|<catalog>|<button index>|<product id>` (ids have no `|`). */
export const catalogPayload = (catalog: string, button: number, productId: string): string =>
  `${CATALOG_PAYLOAD}${catalog}|${button}|${productId}`;
export function parseCatalogPayload(payload: string): { catalog: string; button: number; productId: string } | undefined {
  if (!payload.startsWith(CATALOG_PAYLOAD)) return undefined;
  const [catalog, button, productId, ...rest] = payload.slice(CATALOG_PAYLOAD.length).split('|');
  if (!catalog || !button || !productId || rest.length > 0 || !/^\d$/.test(button)) return undefined;
  return { catalog, button: Number(button), productId };
}

type Predicate = (item: IndexedProduct) => boolean;
const isBare = (item: IndexedProduct) =>
  item.product.price === undefined && item.product.subtitle === undefined && !item.imageUrl && !item.pageUrl;
interface Plan {
  /** Posting lists that must all hold, each the union of one condition's values (none: no indexed condition). */
  readonly lists: Int32Array[];
  readonly predicates: Predicate[];
  /** A condition no product can meet: nothing matches. */
  readonly none: boolean;
}

const isRange = (c: CatalogCondition): c is { min?: number | string; max?: number | string } =>
  typeof c === 'object' && !Array.isArray(c);

function numbersOf(p: Product, key: string): number[] {
  if (key === 'price') return p.price === undefined ? [] : [p.price];
  const v = p.attributes[key];
  const all = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return all.flatMap((x) =>
    typeof x === 'number' ? [x] : typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x) ? [Number(x)] : [],
  );
}

function union(lists: readonly Int32Array[], n: number): Int32Array {
  if (lists.length === 1) return lists[0] as Int32Array;
  const mask = new Uint8Array(n);
  let count = 0;
  for (const list of lists) {
    for (const i of list) {
      if (mask[i]) continue;
      mask[i] = 1;
      count++;
    }
  }
  const out = new Int32Array(count);
  for (let i = 0, k = 0; i < n; i++) if (mask[i]) out[k++] = i;
  return out;
}

/** Turns the query's conditions, filled from the user's fields, into posting lists and predicates. */
function plan(catalog: Catalog, query: CatalogQuery, fill: (s: string) => string): Plan {
  const lists: Int32Array[] = [];
  const predicates: Predicate[] = [];
  for (const [key, condition] of Object.entries(query.where ?? {})) {
    if (isRange(condition)) {
      const [min, max] = [condition.min, condition.max].map((b) => {
        const s = typeof b === 'string' ? fill(b).trim() : b;
        return s === undefined || s === '' || !Number.isFinite(Number(s)) ? undefined : Number(s);
      });
      if (min === undefined && max === undefined) continue;
      const lo = min ?? -Infinity;
      const hi = max ?? Infinity;
      predicates.push((item) => numbersOf(item.product, key).some((x) => x >= lo && x <= hi));
      continue;
    }
    const values = (Array.isArray(condition) ? condition : [condition])
      .map((v) => (typeof v === 'string' ? fill(v).trim() : v))
      .filter((v) => v !== '');
    // A filter on a field the user has not given yet is left out, not matched against "".
    if (values.length === 0) continue;
    if (key === 'price') {
      const wanted = new Set(values.map(Number));
      predicates.push((item) => item.product.price !== undefined && wanted.has(item.product.price));
      continue;
    }
    const byValue = catalog.postings.get(key);
    const found = values.flatMap((v) => {
      const list = byValue?.get(valueKey(v));
      return list ? [list] : [];
    });
    if (found.length === 0) return { lists, predicates, none: true };
    lists.push(union(found, catalog.items.length));
  }
  const text = query.text === undefined ? '' : normalize(fill(query.text));
  if (text !== '') predicates.push((item) => item.haystack.includes(text));
  // A product with nothing but a title makes no card unless the query gives it a text or a button
  // of its own: passing over it here keeps the carousel full rather than a card short.
  const givesMore = query.subtitle !== undefined || (query.buttons ?? []).some((b) => !('open' in b));
  if (!givesMore) predicates.push((item) => !isBare(item));
  return { lists, predicates, none: false };
}

const maskOf = (list: Int32Array, n: number): Uint8Array => {
  const mask = new Uint8Array(n);
  for (const i of list) mask[i] = 1;
  return mask;
};

/**
 * Below this many candidates, sorting them by rank is cheaper than walking the pre-sorted order
 * (which visits about n / candidates positions per card shown).
 */
const SORT_BELOW = 256;

/** The products that match, in the query's order, up to its limit (and whether there were more). */
function select(catalog: Catalog, query: CatalogQuery, p: Plan): { positions: number[]; more: boolean } {
  const { items } = catalog;
  const n = items.length;
  const keep = (i: number) => p.predicates.every((test) => test(items[i] as IndexedProduct));
  const positions: number[] = [];
  const want = query.limit + 1; // one past the limit says whether there are more
  const order = query.sort === 'catalog' ? undefined : catalog.orders[query.sort];
  // The smallest posting list drives; the others are masks tested per candidate.
  const [first, ...rest] = [...p.lists].sort((a, b) => a.length - b.length);
  const masks = rest.map((list) => maskOf(list, n));
  const passes = (i: number) => masks.every((m) => m[i] === 1) && keep(i);
  if (first && (!order || first.length < SORT_BELOW)) {
    // Posting lists are in catalog order: stop early in it, or sort the few candidates by rank.
    for (const i of first) {
      if (passes(i)) positions.push(i);
      if (!order && positions.length === want) break;
    }
    if (order) {
      const rank = catalog.ranks[query.sort as Exclude<typeof query.sort, 'catalog'>];
      positions.sort((a, b) => (rank[a] as number) - (rank[b] as number));
    }
  } else {
    // No indexed condition, or many candidates in a sorted order: walk the pre-sorted order.
    const firstMask = first ? maskOf(first, n) : undefined;
    for (let r = 0; r < n && positions.length < want; r++) {
      const i = order ? (order[r] as number) : r;
      if ((!firstMask || firstMask[i] === 1) && passes(i)) positions.push(i);
    }
  }
  return { positions: positions.slice(0, query.limit), more: positions.length > query.limit };
}

const priceFormats = new Map<string, Intl.NumberFormat>();
/** "$89", "$89.50", "€119.00"… or "89.5" without a currency. Formats memoized (pure: same input, same text). */
export function formatPrice(price: number, currency: string | undefined): string {
  const whole = Number.isInteger(price);
  const key = `${currency ?? ''}|${whole}`;
  let format = priceFormats.get(key);
  if (!format) {
    const digits = whole ? { minimumFractionDigits: 0 } : {};
    format = new Intl.NumberFormat('en-US', currency ? { style: 'currency', currency, ...digits } : { maximumFractionDigits: 2 });
    priceFormats.set(key, format);
  }
  return format.format(price);
}

/** A product's values for the card's subtitle and link templates. */
function valuesOf(p: Product): Record<string, Scalar> {
  const values: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(p.attributes)) values[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    ...values,
    id: p.id,
    title: p.title,
    subtitle: p.subtitle ?? '',
    price: p.price === undefined ? '' : formatPrice(p.price, p.currency),
    currency: p.currency ?? '',
    url: p.url ?? '',
  };
}

const encoded = (values: Record<string, Scalar>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeURIComponent(String(v))]));

function button(spec: CatalogButton, index: number, item: IndexedProduct, options: CatalogCardOptions, catalog: string) {
  const title = clip(spec.title, LIMITS.buttonTitle);
  if ('open' in spec) return item.pageUrl ? { type: 'web_url' as const, title, url: item.pageUrl } : undefined;
  if ('url' in spec) {
    const url = cardUrl(interpolate(spec.url, encoded(valuesOf(item.product)), {}));
    return url ? { type: 'web_url' as const, title, url } : undefined;
  }
  const payload = (options.payload ?? ((b, id) => catalogPayload(catalog, b, id)))(index, item.product.id);
  return { type: 'postback' as const, title, payload: clip(payload, LIMITS.payload) };
}

function element(item: IndexedProduct, query: CatalogQuery, options: CatalogCardOptions): CatalogElement | undefined {
  const p = item.product;
  const subtitleText = query.subtitle
    ? interpolate(query.subtitle, valuesOf(p), {})
    : [p.price === undefined ? '' : formatPrice(p.price, p.currency), p.subtitle ?? ''].filter((s) => s !== '').join(' · ');
  const subtitle = subtitleText.trim() === '' ? undefined : clip(subtitleText.trim(), LIMITS.elementSubtitle);
  const buttons = (query.buttons ?? []).flatMap((b, j) => {
    const made = button(b, j, item, options, query.catalog);
    return made ? [made] : [];
  });
  // Messenger refuses a card that has only a title: such a product is left out.
  if (!subtitle && !item.imageUrl && !item.pageUrl && buttons.length === 0) return undefined;
  return {
    title: clip(p.title, LIMITS.elementTitle),
    ...(subtitle ? { subtitle } : {}),
    ...(item.imageUrl ? { image_url: item.imageUrl } : {}),
    ...(item.pageUrl ? { default_action: { type: 'web_url' as const, url: item.pageUrl } } : {}),
    ...(buttons.length > 0 ? { buttons } : {}),
  };
}

/**
 * The carousel for `query` over `catalog`, with the user's `fields` filling its {{field}} filters:
 * filtered, sorted, cut to the limit (Messenger's 10 at most), each card within Messenger's limits
 * (titles and subtitles cut with an ellipsis, non-https URLs left out, at most 3 buttons).
 */
export function catalogCards(
  catalog: Catalog,
  query: CatalogQuery,
  fields: Readonly<Record<string, Scalar>>,
  options: CatalogCardOptions = {},
): CatalogCards {
  const fill = (s: string) => interpolate(s, fields, options.defaults ?? {});
  const p = plan(catalog, query, fill);
  if (p.none) return { elements: [], productIds: [], more: false };
  const { positions, more } = select(catalog, query, p);
  const elements: CatalogElement[] = [];
  const productIds: string[] = [];
  for (const i of positions) {
    const item = catalog.items[i] as IndexedProduct;
    const card = element(item, query, options);
    if (!card) continue;
    elements.push(card);
    productIds.push(item.product.id);
  }
  return { elements, productIds, more };
}
