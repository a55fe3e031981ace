import { createHash } from 'node:crypto';
import { internalEvent } from '../store/messengerEvent';
import { psidOf } from '../store/partitionOf';
import type { InboxRecord } from '../store/ports';

/**
 * A digest of the user key for the dedupe key: the dedupe key is itself a store key, kept for
 * DEDUPE_TTL_SECONDS, and an erased user must not be named by any key.
 */
const digest = (userKey: string): string => createHash('sha256').update(userKey).digest('base64url').slice(0, 22);

/**
 * The inbox record that delivers broadcast `id` to a user, applied in their lane. Its dedupe key
 * makes a repeated fan-out step one item; a test send's includes the time, so a test can be repeated.
 */
export function broadcastRecord(pageId: string, userKey: string, id: string, at: number, test = false): InboxRecord {
  const dedupeKey = test ? `bct:${id}:${digest(userKey)}:${at}` : `bc:${id}:${digest(userKey)}`;
  const raw = { broadcast: id, ...(test ? { test } : {}) };
  return { source: 'admin', event: internalEvent('broadcast', pageId, psidOf(userKey), at, dedupeKey, raw) };
}
