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
  const chunk = options.chunk ?? AUDIENCE_CHUNK;
  for (const partition of partitions) {
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page = await store.cards(partition, cursor, chunk);
      for (const row of page.cards) {
        const decoded = decodeAudienceCard(row.json);
        if (!decoded.ok) options.onUnreadable?.(partition, row.userKey, decoded.reason);
        else if (matches(decoded.card, filter, now)) yield { partition, userKey: row.userKey, card: decoded.card };
      }
      cursor = page.next;
    }
  }
}

export interface AudienceCount {
  /** Users in the audience. */
  readonly count: number;
  /** Cards read (every user with a card, forgotten ones included). */
  readonly scanned: number;
  /** Cards that could not be read (skipped). */
  readonly unreadable: number;
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
  const chunk = options.chunk ?? AUDIENCE_CHUNK;
  const perPartition: number[] = [];
  let scanned = 0;
  let unreadable = 0;
  for (const [i, partition] of partitions.entries()) {
    let inPartition = 0;
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page = await store.cards(partition, cursor, chunk);
      for (const row of page.cards) {
        scanned += 1;
        const decoded = decodeAudienceCard(row.json);
        if (!decoded.ok) {
          unreadable += 1;
          options.onUnreadable?.(partition, row.userKey, decoded.reason);
        } else if (matches(decoded.card, filter, now)) inPartition += 1;
      }
      cursor = page.next;
    }
    perPartition.push(inPartition);
    options.onPartition?.(i + 1, partitions.length);
  }
  return { count: perPartition.reduce((a, b) => a + b, 0), scanned, unreadable, perPartition };
}
