import { interpolate, type Scalar } from './interpolate';
import type { RequestHost } from './requestSettings';

/**
 * The URL of a request or webhook: `{{field}}` is filled only after the origin (path segments and
 * the query), each value percent-encoded, so a customer's answer containing `/`, `?`, `#` or `@`
 * stays inside its segment and can never change where the request goes.
 */

/** `scheme://host[:port]` then the rest; the origin holds no placeholder. */
const ORIGIN = /^(https?):\/\/([^/?#@{}\s]+?)(?::(\d{1,5}))?(?=[/?#]|$)/i;

export interface UrlParts {
  readonly scheme: 'http' | 'https';
  /** Lower case, without the brackets of an IPv6 literal. */
  readonly host: string;
  readonly origin: string;
  readonly rest: string;
}

export type SplitUrl = { readonly ok: true; readonly parts: UrlParts } | { readonly ok: false; readonly reason: string };

export function splitUrl(template: string): SplitUrl {
  const m = ORIGIN.exec(template);
  if (!m) {
    if (/^https?:\/\/[^/?#]*\{\{/i.test(template))
      return { ok: false, reason: 'the host part may not use {{placeholders}}: write the host out' };
    return { ok: false, reason: 'it must start with https:// (or http://) and a host name' };
  }
  const origin = m[0];
  return {
    ok: true,
    parts: {
      scheme: (m[1] ?? 'https').toLowerCase() as 'http' | 'https',
      host: (m[2] ?? '').toLowerCase().replace(/^\[|\]$/g, ''),
      origin,
      rest: template.slice(origin.length),
    },
  };
}

const encoded = (values: Readonly<Record<string, Scalar>>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeURIComponent(String(v))]));

/** The URL with `{{field}}` filled (encoded) after the origin; undefined when the template is not a valid URL. */
export function fillRequestUrl(
  template: string,
  fields: Readonly<Record<string, Scalar>>,
  defaults: Readonly<Record<string, Scalar>>,
): string | undefined {
  const split = splitUrl(template);
  if (!split.ok) return undefined;
  const url = split.parts.origin + interpolate(split.parts.rest, encoded(fields), encoded(defaults));
  try {
    // Belt and braces: the filled URL still goes to the host written in the flow. The parser's
    // form also encodes what an inline default ({{field|two words}}) left unencoded.
    const parsed = new URL(url);
    return parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '') === split.parts.host ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a settings host pattern allows `host` (both already in one form: lower case, no
 * brackets): an exact name or IP, or `*.example.com` for its subdomains (not the name itself).
 * The linter and the requester (src/requests/addressPolicy.ts) share this rule.
 */
export const hostMatches = (pattern: string, host: string): boolean =>
  pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;

/** The settings entry that allows `host`: an exact name or IP, or `*.example.com` for its subdomains. */
export function allowedHost(hosts: readonly RequestHost[], host: string): RequestHost | undefined {
  const bare = (h: string) => h.toLowerCase().replace(/^\[|\]$/g, '');
  return hosts.find((entry) => hostMatches(bare(entry.host), bare(host)));
}

/** `{{secret.NAME}}`: a named secret, left as written by the engine (only the requester reads its value). */
export const SECRET_PLACEHOLDER = /\{\{\s*secret\.([A-Za-z0-9_]+)\s*\}\}/g;

export const secretNames = (text: string): string[] => [...text.matchAll(SECRET_PLACEHOLDER)].map((m) => m[1] as string);
