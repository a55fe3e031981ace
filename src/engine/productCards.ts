import type { SendMessage } from '../platform/sendApiSchema';
import { catalogCards, type CatalogQuery } from './catalogCards';
import type { FlowSet } from './flowSet';
import type { Scalar } from './interpolate';

/**
 * A node's `products`: a carousel from a catalog file (flows/catalogs/), filtered by the user's
 * fields, rendered by catalogCards. A card's `goto` button carries the product in its payload,
 * `TS|<flow>|<node>|p<button>|<product id>`, so a tap stores the product's id in the button's
 * `into` field and goes on: the tap works as long as that node and button exist. Pure.
 */
const PREFIX = 'TS|';

export const productPayload = (flow: string, node: string, button: number, productId: string): string =>
  `${PREFIX}${flow}|${node}|p${button}|${productId}`;

export interface ProductTap {
  readonly flow: string;
  readonly node: string;
  readonly button: number;
  readonly productId: string;
}

export function parseProductPayload(payload: string): ProductTap | undefined {
  if (!payload.startsWith(PREFIX)) return undefined;
  const [flow, node, control, productId, ...rest] = payload.slice(PREFIX.length).split('|');
  const m = control === undefined ? null : /^p(\d)$/.exec(control);
  if (!flow || !node || !m || !productId || rest.length > 0) return undefined;
  return { flow, node, button: Number(m[1]), productId };
}

export type ProductsOutcome =
  | { readonly kind: 'cards'; readonly message: SendMessage }
  /** No product matched (or the catalog is gone): the query's `empty` applies. */
  | { readonly kind: 'empty' };

export function renderProducts(
  flows: FlowSet,
  at: { readonly flow: string; readonly node: string },
  query: CatalogQuery,
  fields: Readonly<Record<string, Scalar>>,
): ProductsOutcome {
  const catalog = flows.catalogs.get(query.catalog);
  if (!catalog) return { kind: 'empty' };
  const { elements } = catalogCards(catalog, query, fields, {
    defaults: flows.settings.defaults,
    payload: (button, productId) => productPayload(at.flow, at.node, button, productId),
  });
  if (elements.length === 0) return { kind: 'empty' };
  const payload = {
    template_type: 'generic' as const,
    elements: elements.map((e) => ({ ...e, ...(e.buttons ? { buttons: [...e.buttons] } : {}) })),
    ...(query.square_images ? { image_aspect_ratio: 'square' as const } : {}),
  };
  return { kind: 'cards', message: { attachment: { type: 'template', payload } } };
}
