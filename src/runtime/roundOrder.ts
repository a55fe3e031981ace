import type { OutboxEntry } from '../store/ports';

/**
 * The seen markers a later one of the same user makes pointless: one mark_seen for the latest
 * message of a burst, not one per message (the engine asks for one per inbound event).
 */
export function supersededSeen(entries: readonly OutboxEntry[]): Set<string> {
  const last = new Map<string, string>();
  const superseded = new Set<string>();
  for (const e of entries) {
    const body = e.effect.body;
    if (typeof body !== 'object' || body === null || !('type' in body) || body.type !== 'mark_seen') continue;
    const before = last.get(e.userKey);
    if (before !== undefined) superseded.add(before);
    last.set(e.userKey, e.id);
  }
  return superseded;
}

/** Whether an outbox entry is bulk traffic (a broadcast or sequence step), by its stored effect. */
export function isBulk(entry: OutboxEntry): boolean {
  const body = entry.effect.body;
  return typeof body === 'object' && body !== null && 'broadcast' in body && body.broadcast !== undefined;
}

/**
 * A round's users: those with a live entry first (someone is waiting for that answer), then at
 * most one bulk user per lane. Bulk sends wait for the Page's bulk share of the rate, so a round
 * with many of them would last long, and an answer to a customer who writes meanwhile waits for
 * the next round: keeping the bulk part to one send per lane keeps rounds (and that wait) short.
 */
export function liveFirst(queues: OutboxEntry[][], lanes: number): OutboxEntry[][] {
  const live = queues.filter((q) => q[0] !== undefined && !isBulk(q[0]));
  const bulk = queues.filter((q) => q[0] !== undefined && isBulk(q[0]));
  return [...live, ...bulk.slice(0, lanes)];
}
