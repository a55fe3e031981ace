import type { Keys } from '../keys';
import type { ClaimOptions, OwnerClaim } from '../ports';
import type { RedisConnection } from './redisConnection';
import { scanStep } from './scanStep';

/** Glob characters are escaped so a prefix matches only itself in SCAN's MATCH. */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * True when a key other than `except` starts with `<prefix>:`. A full SCAN (of every master, on a
 * cluster) at worst: only a claim that requires its own store (the demo) pays it, once at start.
 */
async function anyKeyUnder(conn: RedisConnection, prefix: string, except: string): Promise<boolean> {
  for (let cursor: string | null = '0'; cursor !== null;) {
    const page = await scanStep(conn, 'owner check (scan)', cursor, ['MATCH', `${globEscape(prefix)}:*`, 'COUNT', '1000']);
    if (page.keys.some((k) => k !== except)) return true;
    cursor = page.next;
  }
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
