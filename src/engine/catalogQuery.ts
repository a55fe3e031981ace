import { z } from 'zod';
import { LIMITS } from '../platform/sendApiSchema';
import { FIELD_PATTERN, ID_PATTERN, fieldSchema as field, nodeRefSchema as nodeRef } from './schemaParts';

/**
 * What a flow writes to build a carousel from a catalog: which catalog, which products (filters on
 * attributes, price, text, with values that may come from the user's fields), in which order, how
 * many, and the buttons of each card. Embedded by the flow schema; rendered by catalogCards().
 */

export const catalogNameSchema = z
  .string()
  .regex(
    new RegExp(`^${ID_PATTERN}$`, 'i'),
    'a catalog is named by its file name without the extension: letters, digits, _ and -',
  )
  .describe('the catalog: flows/catalogs/<name>.csv or <name>.json');

/** A literal, or a {{field}} template filled from the user's fields. */
const filterScalar = z.union([z.string().max(200), z.number(), z.boolean()]);
const bound = z.union([z.number(), z.string().max(200)]).describe('a number, or a {{field}} holding one');

export const catalogConditionSchema = z.union([
  filterScalar.describe('equals this value, or, for a multi-value attribute (40|41|42), contains it'),
  z.array(filterScalar).min(1).max(50).describe('any one of these values'),
  z
    .strictObject({ min: bound.optional(), max: bound.optional() })
    .describe('a number range, both ends included (for price or a numeric attribute)'),
]);
export type CatalogCondition = z.infer<typeof catalogConditionSchema>;

export const CATALOG_SORTS = ['catalog', 'price_asc', 'price_desc', 'title'] as const;

const buttonTitle = z.string().min(1).max(200).describe(`cut to ${LIMITS.buttonTitle} characters with an ellipsis`);
export const catalogButtonSchema = z.union([
  z.strictObject({ title: buttonTitle, open: z.literal(true).describe("opens the product's url") }),
  z.strictObject({
    title: buttonTitle,
    url: z.string().max(2000).describe("a link; {{id}}, {{title}} and the product's other values are filled in, percent-encoded"),
  }),
  z.strictObject({
    title: buttonTitle,
    goto: nodeRef,
    into: field.default('product_id').describe("the user field the tapped product's id is stored in"),
  }),
]);
export type CatalogButton = z.infer<typeof catalogButtonSchema>;

export const catalogQuerySchema = z.strictObject({
  catalog: catalogNameSchema,
  where: z
    .record(z.string().regex(FIELD_PATTERN, 'an attribute name, or price, currency or id'), catalogConditionSchema)
    .optional()
    .describe('every condition must hold; a condition whose {{field}} the user has not given is left out'),
  text: z.string().max(200).optional().describe('title, subtitle or a text attribute contains this (accents and case folded)'),
  sort: z.enum(CATALOG_SORTS).default('catalog'),
  limit: z.number().int().min(1).max(LIMITS.genericElements).default(LIMITS.genericElements),
  subtitle: z
    .string()
    .max(500)
    .optional()
    .describe('the cards\' subtitle from the product\'s values, e.g. "{{price}} · {{category}}" (default: price · subtitle)'),
  buttons: z.array(catalogButtonSchema).max(LIMITS.buttons).optional(),
  square_images: z.boolean().optional(),
  empty: z
    .strictObject({ text: z.string().optional(), goto: nodeRef.optional() })
    .optional()
    .describe('when no product matches: say this and/or go to this node'),
});
export type CatalogQuery = z.infer<typeof catalogQuerySchema>;
/** A query as written, before defaults: what tests and other code may construct. */
export type CatalogQueryInput = z.input<typeof catalogQuerySchema>;
