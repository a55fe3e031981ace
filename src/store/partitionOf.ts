/**
 * The inbox partition of a user: FNV-1a over "page:user", mod the partition count. Stable across
 * processes and versions (it decides where a user's state lives), so never change it.
 */
export function partitionOf(pageId: string, userId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  const key = `${pageId}:${userId}`;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

export const userKeyOf = (pageId: string, userId: string): string => `${pageId}:${userId}`;

/** The PSID back from a user key (page ids are digits, so the first ':' ends the page). */
export const psidOf = (userKey: string): string => userKey.slice(userKey.indexOf(':') + 1);
