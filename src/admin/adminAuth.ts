import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AdminRole } from './adminRoutes';

/** One configured admin token (ADMIN_TOKENS entry, or ADMIN_TOKEN as the operator "admin"). */
export interface AdminToken {
  readonly name: string;
  readonly role: AdminRole;
  readonly token: string;
}

/** Who a request speaks for: the token's name and role, never the token itself. */
export interface Principal {
  readonly name: string;
  readonly role: AdminRole;
}

export type Authentication =
  { readonly kind: 'ok'; readonly principal: Principal } | { readonly kind: 'missing' } | { readonly kind: 'invalid' };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Checks `Authorization: Bearer <token>` against every configured token. Digests make the
 * comparison constant-length, and every token is compared (no early exit), so timing says
 * neither which token nor how much of one matched.
 */
export function bearerAuthenticator(tokens: readonly AdminToken[]): (headers: IncomingHttpHeaders) => Authentication {
  const known = tokens.map((t) => ({ principal: { name: t.name, role: t.role }, digest: digest(t.token) }));
  return (headers) => {
    const header = headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || header.length === 7) return { kind: 'missing' };
    const presented = digest(header.slice(7));
    let found: Principal | undefined;
    for (const k of known) if (timingSafeEqual(presented, k.digest)) found = k.principal;
    return found ? { kind: 'ok', principal: found } : { kind: 'invalid' };
  };
}
