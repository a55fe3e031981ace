import { z } from 'zod';

/**
 * The `requests:` and `webhooks:` sections of settings.yaml: which hosts flows may call, and how.
 * Pure data, read by the linter (a request to a host not listed is an error), by the engine (the
 * default timeout) and by the requester that makes the calls (src/requests/).
 *
 * A secret is named, never written: headers say `{{secret.NAME}}`, NAME must be listed under
 * `secrets`, and only the requester, at the moment of the call, reads its value from the
 * environment. States, the outbox, logs and transcripts only ever hold the placeholder.
 */

/** A host name (`shop.example.com`), a wildcard for its subdomains (`*.example.com`), or an IP literal. */
const hostPattern = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\*\.)?[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/,
    'a host name such as shop.example.com, *.example.com, or an IP address',
  );

export const requestHostSchema = z.strictObject({
  host: hostPattern.describe('a host flows may call: shop.example.com, *.example.com (its subdomains), or an IP address'),
  http: z.boolean().default(false).describe('also allow plain http:// to this host (local development); https only otherwise'),
  private: z
    .boolean()
    .default(false)
    .describe(
      'allow this host to resolve to a loopback, private, link-local or metadata address (local development); refused otherwise',
    ),
  max_concurrent: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(8)
    .describe(
      'most requests to this host in flight at once per process; more wait their turn (one slow API cannot hold every conversation)',
    ),
});
export type RequestHost = z.infer<typeof requestHostSchema>;

/** An environment variable's name: what `{{secret.NAME}}` may refer to. */
export const secretName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'an environment variable name such as SHOP_API_TOKEN');

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const MAX_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

export const requestSettingsSchema = z
  .strictObject({
    hosts: z
      .array(requestHostSchema)
      .max(100)
      .default([])
      .describe('the only hosts flow requests and outgoing webhooks may reach'),
    timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(MAX_REQUEST_TIMEOUT_MS)
      .default(DEFAULT_REQUEST_TIMEOUT_MS)
      .describe("a request's time limit unless its node sets one (the customer waits this long at most)"),
    max_response_bytes: z
      .number()
      .int()
      .min(1024)
      .max(8 * 1024 * 1024)
      .default(DEFAULT_MAX_RESPONSE_BYTES)
      .describe('a longer response body is cut off here and the request counts as failed'),
    secrets: z
      .array(secretName)
      .max(50)
      .default([])
      .describe('environment variables whose values headers may use as {{secret.NAME}}; read at call time, never stored'),
  })
  .default({ hosts: [], timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS, max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES, secrets: [] });
export type RequestSettings = z.infer<typeof requestSettingsSchema>;

export const DEFAULT_WEBHOOK_TRIES = 8;

export const webhookSettingsSchema = z
  .strictObject({
    max_tries: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(DEFAULT_WEBHOOK_TRIES)
      .describe('an outgoing webhook is dropped (counted and logged) after this many failed tries, with backoff between them'),
    signing_secret: secretName
      .default('TALKSHOP_WEBHOOK_SECRET')
      .describe('the environment variable holding the HMAC-SHA256 key that signs every outgoing webhook'),
  })
  .default({ max_tries: DEFAULT_WEBHOOK_TRIES, signing_secret: 'TALKSHOP_WEBHOOK_SECRET' });
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;
