import type { RequestSettings } from '../engine/requestSettings';

/** `{{secret.NAME}}` in a header value (the flow files never hold the value itself). */
const PLACEHOLDER = /\{\{\s*secret\.([A-Za-z0-9_]+)\s*\}\}/g;
/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the requester or by HTTP itself: a flow may not (host would also dodge the allow-list's intent). */
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

export type ResolvedHeaders =
  | { readonly ok: true; readonly headers: Record<string, string> }
  | { readonly ok: false; readonly reason: 'secret_missing' | 'bad_header' };

/**
 * The headers with their secrets filled in, from `secrets` (the environment), only for names
 * listed under settings `requests.secrets`. An unlisted, unknown or empty secret refuses the
 * request: it is never sent with the placeholder or a blank in its place. The result is handed
 * to the HTTP client and dropped; nothing here logs or returns a value.
 */
export function resolveSecrets(
  headers: Readonly<Record<string, string>>,
  settings: Pick<RequestSettings, 'secrets'>,
  secrets: (name: string) => string | undefined,
): ResolvedHeaders {
  const listed = new Set(settings.secrets);
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(headers)) {
    if (!TOKEN.test(name) || RESERVED.has(name.toLowerCase())) return { ok: false, reason: 'bad_header' };
    let missing = false;
    const value = template.replace(PLACEHOLDER, (_whole, secret: string) => {
      const found = listed.has(secret) ? secrets(secret) : undefined;
      if (found === undefined || found === '') missing = true;
      return found ?? '';
    });
    if (missing) return { ok: false, reason: 'secret_missing' };
    // CR, LF or NUL would split the header (undici refuses them, with the value in its error).
    if (/[\r\n\0]/.test(value)) return { ok: false, reason: 'bad_header' };
    out[name] = value;
  }
  return { ok: true, headers: out };
}
