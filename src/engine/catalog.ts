import { z } from 'zod';
import { httpsUrl } from '../platform/sendApiSchema';
import { normalize } from './normalize';

/**
 * A product catalog (flows/catalogs/*.csv or *.json) as the engine reads it: products validated
 * once, then indexed once at load time so that a filtered carousel over thousands of products
 * touches only the products a filter can match (see catalogCards.ts). Pure: the loader in
 * src/flows/loadCatalog.ts reads the files.
 */
export const CATALOG_LIMITS = {
  /** A catalog file's size on disk. */
  fileBytes: 20 * 1024 * 1024,
  products: 50_000,
  /** Columns of a CSV file, keys of a JSON product. */
  columns: 64,
  /** Characters in one cell (a CSV cell, a JSON string, the whole of a multi-value cell). */
  cell: 2_000,
  /** Values in one multi-value attribute (`40|41|42`). */
  values: 100,
  /** Characters in a URL (image_url, url). */
  url: 2_000,
} as const;

/** The columns every product may have; any other column is a free attribute. */
export const PRODUCT_COLUMNS = ['id', 'title', 'subtitle', 'image_url', 'price', 'currency', 'url'] as const;
const RESERVED = new Set<string>(PRODUCT_COLUMNS);

export const productIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.:-]{0,63}$/i, 'ids use letters, digits, _ . : and - (at most 64), starting with a letter or digit');
export const attributeNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,63}$/i, 'attribute names use letters, digits and _ (at most 64), not starting with a digit');

const cellText = z
  .string()
  .max(CATALOG_LIMITS.cell, `must be at most ${CATALOG_LIMITS.cell} characters`)
  .refine((s) => s.trim().length > 0, 'must not be empty');
const scalarValue = z.union([cellText, z.number().finite()]);
export const attributeValueSchema = z.union([
  scalarValue,
  z.boolean(),
  z.array(scalarValue).min(1).max(CATALOG_LIMITS.values, `at most ${CATALOG_LIMITS.values} values`),
]);
export type AttributeValue = z.infer<typeof attributeValueSchema>;

/** One product as written in a JSON catalog (or a CSV row once its cells are typed): flat, attributes beside the columns. */
export const productSchema = z
  .object({
    id: productIdSchema,
    title: cellText,
    subtitle: cellText.optional(),
    image_url: z.string().max(CATALOG_LIMITS.url).optional(),
    price: z.number().finite().nonnegative().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD or EUR')
      .optional(),
    url: z.string().max(CATALOG_LIMITS.url).optional(),
  })
  .catchall(attributeValueSchema)
  .superRefine((p, ctx) => {
    const keys = Object.keys(p);
    if (keys.length > CATALOG_LIMITS.columns)
      ctx.addIssue({ code: 'custom', message: `more than ${CATALOG_LIMITS.columns} keys` });
    for (const key of keys) {
      if (!RESERVED.has(key) && !attributeNameSchema.safeParse(key).success)
        ctx.addIssue({ code: 'custom', path: [key], message: 'attribute names use letters, digits and _ (at most 64)' });
    }
  })
  .transform((p): Product => {
    const attributes: Record<string, AttributeValue> = {};
    for (const [key, value] of Object.entries(p)) if (!RESERVED.has(key) && value !== undefined) attributes[key] = value;
    return {
      id: p.id,
      title: p.title.trim(),
      ...(p.subtitle !== undefined ? { subtitle: p.subtitle.trim() } : {}),
      ...(p.image_url !== undefined ? { image_url: p.image_url.trim() } : {}),
      ...(p.price !== undefined ? { price: p.price } : {}),
      ...(p.currency !== undefined ? { currency: p.currency } : {}),
      ...(p.url !== undefined ? { url: p.url.trim() } : {}),
      attributes,
    };
  });

export interface Product {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly image_url?: string;
  readonly price?: number;
  readonly currency?: string;
  readonly url?: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A URL Messenger accepts on a card (https, as the Send API schema says), or undefined. */
export const cardUrl = (url: string | undefined): string | undefined =>
  url !== undefined && url.length <= CATALOG_LIMITS.url && httpsUrl.safeParse(url).success ? url : undefined;

/**
 * How filter values compare: accents and case folded (as keywords are), and numbers by value, so
 * a size typed as "42", a CSV cell `42` and a JSON `42` are the same key.
 */
export function valueKey(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const n = normalize(value);
  return /^-?\d+(\.\d+)?$/.test(n) ? String(Number(n)) : n;
}

export type SortOrder = 'catalog' | 'price_asc' | 'price_desc' | 'title';

/** A product with what rendering needs worked out once: its valid URLs and its searchable text. */
export interface IndexedProduct {
  readonly product: Product;
  readonly imageUrl?: string;
  readonly pageUrl?: string;
  /** Title, subtitle and text attributes, normalized: what `text` searches. */
  readonly haystack: string;
}

/** A catalog, validated and indexed: what catalogCards renders from. Immutable once built. */
export interface Catalog {
  readonly name: string;
  readonly items: readonly IndexedProduct[];
  /** attribute (and `id`, `currency`) → value key → positions in `items`, ascending. */
  readonly postings: ReadonlyMap<string, ReadonlyMap<string, Int32Array>>;
  /** Positions in each sort order (price orders put products without a price last). */
  readonly orders: Readonly<Record<Exclude<SortOrder, 'catalog'>, Int32Array>>;
  /** Each position's rank in each sort order, to sort a filtered subset without comparing products. */
  readonly ranks: Readonly<Record<Exclude<SortOrder, 'catalog'>, Int32Array>>;
  /** Attribute names and how many products have each. */
  readonly attributes: ReadonlyMap<string, number>;
}

function indexedOf(product: Product): IndexedProduct {
  const text = Object.values(product.attributes).flatMap((v) => (typeof v === 'string' ? [v] : []));
  const imageUrl = cardUrl(product.image_url);
  const pageUrl = cardUrl(product.url);
  return {
    product,
    ...(imageUrl ? { imageUrl } : {}),
    ...(pageUrl ? { pageUrl } : {}),
    haystack: normalize([product.title, product.subtitle ?? '', ...text].join(' ')),
  };
}

function sortedPositions(n: number, compare: (a: number, b: number) => number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i).sort(compare);
}

function rankOf(order: Int32Array): Int32Array {
  const rank = new Int32Array(order.length);
  order.forEach((position, r) => (rank[position] = r));
  return rank;
}

function postingsOf(products: readonly Product[]): Map<string, Map<string, Int32Array>> {
  const lists = new Map<string, Map<string, number[]>>();
  const add = (attribute: string, value: string | number | boolean, position: number) => {
    const byValue = lists.get(attribute) ?? new Map<string, number[]>();
    lists.set(attribute, byValue);
    const key = valueKey(value);
    const list = byValue.get(key) ?? [];
    byValue.set(key, list);
    // A multi-value cell may repeat a value; a position is listed once.
    if (list[list.length - 1] !== position) list.push(position);
  };
  products.forEach((p, i) => {
    add('id', p.id, i);
    if (p.currency) add('currency', p.currency, i);
    for (const [name, value] of Object.entries(p.attributes)) {
      for (const v of Array.isArray(value) ? value : [value]) add(name, v, i);
    }
  });
  return new Map([...lists].map(([name, byValue]) => [name, new Map([...byValue].map(([k, l]) => [k, Int32Array.from(l)]))]));
}

/** Validated products (unique ids: the loader checks) → the indexed catalog. */
export function buildCatalog(name: string, products: readonly Product[]): Catalog {
  const items = products.map(indexedOf);
  const price = (i: number) => products[i]?.price;
  const byPrice = (dir: 1 | -1) => (a: number, b: number) => {
    const pa = price(a);
    const pb = price(b);
    if (pa === undefined || pb === undefined) return pa === pb ? a - b : pa === undefined ? 1 : -1;
    return pa === pb ? a - b : (pa - pb) * dir;
  };
  const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
  const orders = {
    price_asc: sortedPositions(items.length, byPrice(1)),
    price_desc: sortedPositions(items.length, byPrice(-1)),
    title: sortedPositions(items.length, (a, b) => collator.compare(products[a]?.title ?? '', products[b]?.title ?? '') || a - b),
  };
  const attributes = new Map<string, number>();
  for (const p of products) for (const key of Object.keys(p.attributes)) attributes.set(key, (attributes.get(key) ?? 0) + 1);
  return {
    name,
    items,
    postings: postingsOf(products),
    orders,
    ranks: { price_asc: rankOf(orders.price_asc), price_desc: rankOf(orders.price_desc), title: rankOf(orders.title) },
    attributes,
  };
}
