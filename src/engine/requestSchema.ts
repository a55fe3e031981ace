import { z } from 'zod';
import { MAX_REQUEST_TIMEOUT_MS } from './requestSettings';
import { PATH_SYNTAX, parseJsonPath } from './jsonPath';
import { fieldSchema as field, nodeRefSchema as nodeRef } from './schemaParts';

/**
 * The flow language's calls to the outside: a node's `request` (call an API, wait for the answer,
 * continue by outcome) and the `webhook` action (send data, do not wait). Structure only; hosts,
 * secrets and placeholders in the wrong place are the linter's job (lintRequests), which can name
 * the line and the fix. See docs/flows.md, "Requests".
 */

export const REQUEST_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Methods that may carry a body. */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
export const MAX_HEADERS = 20;
/** A rendered JSON body longer than this is not sent: the request counts as failed. */
export const MAX_BODY_CHARS = 64 * 1024;

const jsonPath = z
  .string()
  .refine((p) => parseJsonPath(p).ok, { error: `a path such as order.status or items[0].name (${PATH_SYNTAX})` })
  .describe(`where in the JSON response: ${PATH_SYNTAX}`);

/** A JSON body: strings may use {{field}}; a string that is exactly one {{field}} keeps the field's type. */
type JsonBody = string | number | boolean | null | JsonBody[] | { [key: string]: JsonBody };
export const jsonBodySchema: z.ZodType<JsonBody> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonBodySchema), z.record(z.string(), jsonBodySchema)]),
);
export type RequestBody = JsonBody;

const url = z
  .string()
  .min(1)
  .max(2000)
  .describe('https://host/path?query; {{field}} only after the host (values are URL-encoded)');

/** A carousel built from an array in the response (Messenger's limits enforced on every card). */
export const dataCardsSchema = z.strictObject({
  items: jsonPath.describe('the array of items in the response, e.g. products'),
  title: z.string().min(1).describe("each card's title: text with {{item.<path>}} (and {{field}}); cut to 80 characters"),
  subtitle: z.string().optional().describe('text with {{item.<path>}}; cut to 80 characters'),
  image_url: jsonPath.optional().describe("path of the item's https image URL"),
  url: jsonPath.optional().describe("path of the item's https page URL (opened when the card is tapped)"),
  buttons: z
    .array(z.strictObject({ title: z.string().min(1), url: jsonPath.describe("path of the item's https URL") }))
    .max(3)
    .optional()
    .describe('link buttons per card'),
  empty: nodeRef.describe('where to go when no item makes a card'),
});
export type DataCards = z.infer<typeof dataCardsSchema>;

export const requestSpecSchema = z.strictObject({
  method: z.enum(REQUEST_METHODS).default('GET'),
  url,
  headers: z
    .record(z.string(), z.string().max(2000))
    .optional()
    .describe('header values may use {{field}} and {{secret.NAME}} (NAME listed in settings requests.secrets)'),
  body: jsonBodySchema.optional().describe('JSON sent with POST, PUT or PATCH; strings may use {{field}}'),
  timeout_ms: z
    .number()
    .int()
    .min(100)
    .max(MAX_REQUEST_TIMEOUT_MS)
    .optional()
    .describe('time limit (default: settings requests.timeout_ms)'),
  save: z
    .record(field, jsonPath)
    .optional()
    .describe('fields to set from the JSON response on ok: field: path (a missing path unsets the field)'),
  cards: dataCardsSchema.optional(),
  ok: nodeRef.describe('where to go on a 2xx answer'),
  not_found: nodeRef.optional().describe('where to go on a 4xx answer (default: failed)'),
  failed: nodeRef
    .optional()
    .describe(
      'where to go on a 5xx, a refused or unreachable host, or a too large answer (default: settings messages.request_failed)',
    ),
  timeout: nodeRef.optional().describe('where to go when the API does not answer in time (default: failed)'),
});
export type RequestSpec = z.infer<typeof requestSpecSchema>;

export const webhookActionSchema = z.strictObject({
  webhook: z.strictObject({
    url,
    body: jsonBodySchema.describe('the JSON to send (POST); strings may use {{field}}'),
  }),
});
export type WebhookSpec = z.infer<typeof webhookActionSchema>['webhook'];
