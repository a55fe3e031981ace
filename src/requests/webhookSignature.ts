import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every outgoing webhook (docs/flows.md shows a receiver checking them). */
export const WEBHOOK_HEADERS = {
  /** `sha256=<hex>`: HMAC-SHA256, keyed with the signing secret, of `<timestamp>.<raw body>`. */
  signature: 'x-talkshop-signature',
  /** Seconds since the epoch when this try was signed; signed too, so a receiver can refuse old replays. */
  timestamp: 'x-talkshop-timestamp',
  /** The same on every try of one webhook: what a receiver dedupes on. */
  delivery: 'x-talkshop-delivery',
  /** 1 for the first try. */
  attempt: 'x-talkshop-attempt',
} as const;

export const signWebhook = (key: string, timestampSec: number, body: string): string =>
  `sha256=${createHmac('sha256', key).update(`${timestampSec}.${body}`).digest('hex')}`;

/**
 * A receiver's check (Talkshop's own tests use it): the signature matches the raw body and the
 * timestamp, and the timestamp is within `toleranceSec` of now.
 */
export function verifyWebhook(
  key: string,
  signature: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const ts = Number(timestamp);
  if (!signature || !Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(key, ts, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
