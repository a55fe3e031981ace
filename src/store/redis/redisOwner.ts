import type { Keys } from '../keys';
import type { ClaimOptions, OwnerClaim } from '../ports';
import type { RedisConnection } from './redisConnection';

/** Glob characters are escaped so a prefix matches only itself in SCAN's MATCH. */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * True when a key other than `except` starts with `<prefix>:`. A full SCAN at worst: only a claim
 * that requires its own store (the demo) pays it, once at start.
 */
async function anyKeyUnder(conn: RedisConnection, prefix: string, except: string): Promise<boolean> {
  let cursor = '0';
  do {
    const reply = await conn.send('owner check (scan)', ['SCAN', cursor, 'MATCH', `${globEscape(prefix)}:*`, 'COUNT', '1000']);
    const [next, keys] = Array.isArray(reply) ? reply : [];
    if (Array.isArray(keys) && keys.some((k) => k !== except)) return true;
    cursor = typeof next === 'string' ? next : '0';
  } while (cursor !== '0');
  return false;
}

/**
 * Claims the key prefix for `pageId` (keys.ts `owner`): the marker is kept if it names this Page,
 * written (SET NX, so two processes starting together agree on one owner) if there is none, and
 * anything else is refused. With `requireEmpty`, a prefix that already holds keys but no marker is
 * refused too. The emptiness check and the SET are two steps; a process writing into an unmarked
 * prefix between them is one that started before markers existed, which is what the check is for.
 */
export async function claimRedisOwner(
  conn: RedisConnection,
  keys: Keys,
  prefix: string,
  pageId: string,
  options: ClaimOptions,
): Promise<OwnerClaim> {
  const key = keys.owner();
  const judge = (owner: unknown): OwnerClaim =>
    owner === pageId ? { ok: true, created: false } : { ok: false, owner: typeof owner === 'string' ? owner : null };
  const current = await conn.send('owner check', ['GET', key]);
  if (current !== null) return judge(current);
  if (options.requireEmpty && (await anyKeyUnder(conn, prefix, key))) return { ok: false, owner: null };
  const set = await conn.send('owner claim', ['SET', key, pageId, 'NX']);
  if (set === 'OK') return { ok: true, created: true };
  return judge(await conn.send('owner check', ['GET', key]));
}
