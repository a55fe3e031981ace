import type { RedisConnection } from './redisConnection';

/**
 * One step of a SCAN over every key, on a single Redis or on each master of a Redis Cluster in
 * turn (a cluster node's SCAN sees only its own keys). `cursor` '0' starts the walk; the cursor
 * returned is SCAN's own on a single Redis and `<master index>:<SCAN cursor>` on a cluster, and
 * null once the last master is done. Masters are taken in masters()'s order: a failover during a
 * walk changes that list, so such a walk may miss or repeat keys (run it again).
 */
export async function scanStep(
  conn: RedisConnection,
  operation: string,
  cursor: string,
  args: readonly string[],
): Promise<{ readonly keys: string[]; readonly next: string | null }> {
  const masters = conn.masters();
  const at = cursor.indexOf(':');
  const index = at < 0 ? 0 : Number(cursor.slice(0, at));
  const master = masters[index];
  if (master === undefined || !Number.isInteger(index)) return { keys: [], next: null };
  const reply = await conn.sendTo(master, operation, ['SCAN', at < 0 ? cursor : cursor.slice(at + 1), ...args]);
  const [next, found] = Array.isArray(reply) ? reply : [];
  if (typeof next !== 'string' || !Array.isArray(found))
    throw new Error(`SCAN answered ${JSON.stringify(reply)}; expected [cursor, [key, …]]`);
  const keys = found.map(String);
  if (next !== '0') return { keys, next: conn.isCluster ? `${index}:${next}` : next };
  return { keys, next: index + 1 < masters.length ? `${index + 1}:0` : null };
}
