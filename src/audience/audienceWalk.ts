import type { AudienceStore } from '../store/ports';
import { decodeAudienceCard, type AudienceCard } from './audienceCard';
import type { AudienceFilter } from './audienceFilter';
import { matches } from './matches';

/** Cards read per store call: big enough to make the round trips few, small enough to hold. */
export const AUDIENCE_CHUNK = 500;

export interface AudienceMember {
  readonly partition: number;
  readonly userKey: string;
  readonly card: AudienceCard;
}

export interface WalkOptions {
  readonly chunk?: number;
  /** Told about every card that cannot be read (another release's, a hand edit); it is skipped. */
  readonly onUnreadable?: (partition: number, userKey: string, reason: string) => void;
}

/** What a pass over the cards met, beyond the members. */
interface PassStats {
  scanned: number;
  unreadable: number;
  pruned: number;
}

/**
 * A partition's live cards, one chunk in memory at a time. A card past its retention expiry is
 * removed on the way if the user's state is gone (Redis expired the state; a hash field cannot
 * expire with it), so the index forgets inactive users too; it is no one either way.
 */
async function* liveCards(
  store: AudienceStore,
  partition: number,
  now: number,
  stats: PassStats,
  options: WalkOptions,
): AsyncGenerator<{ readonly userKey: string; readonly card: AudienceCard }> {
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page = await store.cards(partition, cursor, options.chunk ?? AUDIENCE_CHUNK);
    for (const row of page.cards) {
      stats.scanned += 1;
      const decoded = decodeAudienceCard(row.json);
      if (!decoded.ok) {
        stats.unreadable += 1;
        options.onUnreadable?.(partition, row.userKey, decoded.reason);
      } else if (decoded.card.exp !== undefined && decoded.card.exp <= now) {
        if (await store.prune(partition, row.userKey)) stats.pruned += 1;
      } else yield { userKey: row.userKey, card: decoded.card };
    }
    cursor = page.next;
  }
}

/**
 * The users of the audience at `now`, partition by partition, in chunks: never more than one
 * chunk of cards in memory, so a walk over a million users costs what one chunk does. For the
 * broadcasts: each member is then sent through their own inbox lane, where the policy is checked
 * again against their state at that moment (this index can be a moment behind).
 */
export async function* audienceWalk(
  store: AudienceStore,
  partitions: readonly number[],
  filter: AudienceFilter,
  now: number,
  options: WalkOptions = {},
): AsyncGenerator<AudienceMember> {
  const stats: PassStats = { scanned: 0, unreadable: 0, pruned: 0 };
  for (const partition of partitions)
    for await (const { userKey, card } of liveCards(store, partition, now, stats, options))
      if (matches(card, filter, now)) yield { partition, userKey, card };
}

export interface AudienceCount {
  /** Users in the audience. */
  readonly count: number;
  /** Cards read (every user with a card, forgotten ones included). */
  readonly scanned: number;
  /** Cards that could not be read (skipped). */
  readonly unreadable: number;
  /** Cards of users retention forgot, removed on the way. */
  readonly pruned: number;
  /** Per partition, in the order asked: the audience in it. */
  readonly perPartition: readonly number[];
}

/**
 * Counts the audience, partition by partition, one chunk at a time. `onPartition` is told after
 * each partition (for a progress bar).
 */
export async function audienceCount(
  store: AudienceStore,
  partitions: readonly number[],
  filter: AudienceFilter,
  now: number,
  options: WalkOptions & { readonly onPartition?: (done: number, total: number) => void } = {},
): Promise<AudienceCount> {
  const stats: PassStats = { scanned: 0, unreadable: 0, pruned: 0 };
  const perPartition: number[] = [];
  for (const [i, partition] of partitions.entries()) {
    let inPartition = 0;
    for await (const { card } of liveCards(store, partition, now, stats, options))
      if (matches(card, filter, now)) inPartition += 1;
    perPartition.push(inPartition);
    options.onPartition?.(i + 1, partitions.length);
  }
  return { count: perPartition.reduce((a, b) => a + b, 0), ...stats, perPartition };
}

/** One chunk of a partition's audience and where the next starts (null: the partition is done). */
export interface AudienceChunk {
  readonly members: readonly AudienceMember[];
  /** Cards read in this chunk (members or not). */
  readonly scanned: number;
  readonly next: string | null;
}

/**
 * One chunk of the audience in a partition, from `cursor` ('0' = the start): for a caller that
 * keeps its place between chunks (the broadcast fan-out records it, so a restart goes on from
 * there). Unreadable cards and cards past their retention are skipped as in audienceWalk.
 */
export async function audienceChunk(
  store: AudienceStore,
  partition: number,
  cursor: string,
  filter: AudienceFilter,
  now: number,
  count: number,
  options: WalkOptions = {},
): Promise<AudienceChunk> {
  const page = await store.cards(partition, cursor, count);
  const members: AudienceMember[] = [];
  for (const row of page.cards) {
    const decoded = decodeAudienceCard(row.json);
    if (!decoded.ok) options.onUnreadable?.(partition, row.userKey, decoded.reason);
    else if (decoded.card.exp !== undefined && decoded.card.exp <= now) await store.prune(partition, row.userKey);
    else if (matches(decoded.card, filter, now)) members.push({ partition, userKey: row.userKey, card: decoded.card });
  }
  return { members, scanned: page.cards.length, next: page.next };
}
