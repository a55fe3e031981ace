import type { Catalog } from '../engine/catalog';
import { nodeEntries, quote, type FlowScope } from './lintScope';

/** Keys a `where` may use besides the catalog's attributes (catalogQuery.ts). */
const BUILT_IN = new Set(['price', 'currency', 'id']);

/**
 * A node's `products` carousel: its catalog exists in flows/catalogs/, and its `where` filters on
 * something the catalog has (a misspelt attribute would match no product, ever). Pure.
 */
export function lintProducts(scope: FlowScope, catalogs: ReadonlyMap<string, Catalog>): void {
  for (const [id, node] of nodeEntries(scope.flow)) {
    const query = node.products;
    if (!query) continue;
    const catalog = catalogs.get(query.catalog);
    if (!catalog) {
      const names = [...catalogs.keys()];
      scope.report.error(
        ['nodes', id, 'products', 'catalog'],
        `catalog ${quote(query.catalog)} does not exist (no flows/catalogs/${query.catalog}.csv or .json)`,
        names.length > 0 ? `use one of: ${names.join(', ')}` : `add flows/catalogs/${query.catalog}.csv (see docs/flows.md)`,
      );
      continue;
    }
    for (const key of Object.keys(query.where ?? {})) {
      if (BUILT_IN.has(key) || catalog.attributes.has(key)) continue;
      const known = [...BUILT_IN, ...catalog.attributes.keys()].join(', ');
      scope.report.error(
        ['nodes', id, 'products', 'where', key],
        `no product of catalog ${quote(query.catalog)} has ${quote(key)}: this filter would never match`,
        `filter on one of: ${known}`,
      );
    }
  }
}
