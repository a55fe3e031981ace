import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
const HEX_64 = /^[0-9a-fA-F]{64}$/;

/**
 * Checks Meta's `X-Hub-Signature-256: sha256=<hex>` against an HMAC-SHA256 of the raw request
 * bytes keyed with the app secret. Never throws: any malformed header is simply "not valid".
 * The shape checks run before the HMAC so garbage costs nothing, and the comparison itself is
 * constant-time over equal-length digests.
 */
export function verifySignature(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  if (!isSignatureShaped(header)) return false;
  const hex = header.slice(PREFIX.length);
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/**
 * True when the header could be a signature at all (`sha256=` and 64 hex digits). Checked before
 * the body is read, so an unsigned request costs no body bytes.
 */
export function isSignatureShaped(header: string | string[] | undefined): header is string {
  return typeof header === 'string' && header.startsWith(PREFIX) && HEX_64.test(header.slice(PREFIX.length));
}

/** The header value Meta would send for this body; used by tests, the bench and the demo. */
export function signBody(rawBody: Buffer | string, appSecret: string): string {
  return PREFIX + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}
