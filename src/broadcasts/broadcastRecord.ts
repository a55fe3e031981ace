import { internalEvent } from '../store/messengerEvent';
import { psidOf } from '../store/partitionOf';
import type { InboxRecord } from '../store/ports';

/**
 * The inbox record that delivers broadcast `id` to a user, applied in their lane. Its dedupe key
 * makes a repeated fan-out step one item; a test send's includes the time, so a test can be repeated.
 */
export function broadcastRecord(pageId: string, userKey: string, id: string, at: number, test = false): InboxRecord {
  const dedupeKey = test ? `bct:${id}:${userKey}:${at}` : `bc:${id}:${userKey}`;
  const raw = { broadcast: id, ...(test ? { test } : {}) };
  return { source: 'admin', event: internalEvent('broadcast', pageId, psidOf(userKey), at, dedupeKey, raw) };
}
