import { audienceCardOf, cardJson } from '../../src/audience/audienceCard';
import { appendConsent, deriveConsent } from '../../src/engine/consentLedger';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { MESSAGING_WINDOW } from '../../src/platform/messagingRules';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { CommitItem, Store } from '../../src/store/ports';

/**
 * Seeds many subscribers fast, without webhooks: each user's state and audience card are committed
 * through the real StateStore port, exactly as a worker would have written them after the user
 * talked to the bot and opted in, so the service that starts afterwards cannot tell them apart.
 * (Webhooks would run every user through the engine, a minute per few thousand users.)
 */
export interface SeedOptions {
  readonly store: Store;
  readonly pageId: string;
  readonly partitions: number;
  /** PSIDs to seed; each gets a fresh state (the prefix must not hold them yet: versions start at 0). */
  readonly psids: readonly string[];
  /** The clock the service will run on: windows are open at this moment and for a day after. */
  readonly now: number;
  /** Topic each user is subscribed to (default offers); null: the user has no consent at all. */
  readonly topic?: string | null;
  /** Items per commit (one Lua call). */
  readonly batch?: number;
  /** The state to commit for a user (default subscriberState(psid, now, topic)), e.g. with a sequence running. */
  readonly state?: (psid: string) => UserState;
  /** Partitions seeded at once. */
  readonly concurrency?: number;
}

/** How far before `now` the synthetic items' ids lie: the real inbox ids the service appends later come after them. */
const ID_LEAD_MS = 5_000;
/** When the seeded users last wrote: an hour ago, so their window stays open for most of a day. */
const LAST_INBOUND_AGO_MS = 3600_000;

/** The state a subscriber has after a conversation with the bot and an opt-in to `topic`. */
export function subscriberState(psid: string, now: number, topic: string | null): UserState {
  const last = now - LAST_INBOUND_AGO_MS;
  const ledger =
    topic === null
      ? []
      : appendConsent([], { at: last, topic, subscribed: true, source: 'flow:shop/optin', cause: `seed:${psid}` });
  return {
    ...initialUserState(),
    fields: { first_name: `Sub${psid.slice(-6)}` },
    consentLedger: ledger,
    consent: deriveConsent(ledger),
    lastInboundAt: last,
    windowEndsAt: last + MESSAGING_WINDOW.standardMs,
    // Seen before: a user with no inbound and no position counts as gone (broadcastStep skips them as deleted).
    inbound: 1,
    // A fresh profile: the lane does not look it up again.
    profile: { ok: true, at: last, first_name: `Sub${psid.slice(-6)}` },
  };
}

/**
 * Commits every user's state and card, partition by partition, under that partition's lease (taken
 * and released here: run it before any worker holds them). Returns the seeding time.
 */
export async function seedSubscribers(o: SeedOptions): Promise<{ readonly users: number; readonly ms: number }> {
  const started = Date.now();
  const byPartition = new Map<number, string[]>();
  for (const psid of o.psids) {
    const p = partitionOf(o.pageId, psid, o.partitions);
    const list = byPartition.get(p) ?? [];
    list.push(psid);
    byPartition.set(p, list);
  }
  const batch = o.batch ?? 500;
  const idMs = o.now - ID_LEAD_MS;
  const topic = o.topic === undefined ? 'offers' : o.topic;
  const workerId = `seed-${process.pid}-${started}`;

  const seedPartition = async (partition: number, psids: readonly string[]): Promise<void> => {
    const token = await o.store.leases.acquire(partition, workerId, 60_000);
    if (token === null)
      throw new Error(`seedSubscribers: partition ${partition} is leased by a worker; seed before starting one`);
    try {
      // After the partition's cursor: an earlier seeding (another call on this prefix) may have moved it.
      const [cursorMs = 0, cursorSeq = -1] = (await o.store.inbox.cursor(partition)).split('-').map(Number);
      const ms = Math.max(idMs, cursorMs);
      let seq = ms === cursorMs ? cursorSeq + 1 : 0;
      for (let i = 0; i < psids.length; i += batch) {
        const items: CommitItem[] = psids.slice(i, i + batch).map((psid) => {
          const state = o.state?.(psid) ?? subscriberState(psid, o.now, topic);
          return {
            itemId: `${ms}-${seq++}`,
            userKey: userKeyOf(o.pageId, psid),
            expectedVersion: 0,
            data: state,
            effects: [],
            audience: cardJson(audienceCardOf(state), undefined),
          };
        });
        const outcome = await o.store.states.commit({ partition, leaseToken: token, items });
        if (outcome.type !== 'committed' || outcome.applied.some((a) => !a))
          throw new Error(`seedSubscribers: partition ${partition} commit answered ${JSON.stringify(outcome)}`);
      }
    } finally {
      await o.store.leases.release(partition, token);
    }
  };

  const queue = [...byPartition.entries()];
  const run = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) await seedPartition(next[0], next[1]);
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, run));
  return { users: o.psids.length, ms: Date.now() - started };
}
