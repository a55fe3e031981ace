import { UNMATCHED_TEXTS_PER_DAY, type UnmatchedCount, type UnmatchedOutcome, type UnmatchedStore } from '../ports';
import { dayExpiresAt, memberOf, sumDays, utcDay, windowDays } from '../unmatchedCounts';

/**
 * Texts the bot did not understand, in one process (the demo, tests): the same rules as the Redis
 * adapter (lua/unmatchedCount.lua), held to them by tests/store/unmatchedContract.test.ts.
 */
export class MemoryUnmatched implements UnmatchedStore {
  /** UTC day → member → count. */
  private readonly days = new Map<string, Map<string, number>>();

  async count(text: string, outcome: UnmatchedOutcome, at: number): Promise<void> {
    const member = memberOf(text, outcome);
    if (member === '') return;
    for (const day of this.days.keys()) if (dayExpiresAt(day) <= at) this.days.delete(day);
    const day = utcDay(at);
    const counts = this.days.get(day) ?? new Map<string, number>();
    this.days.set(day, counts);
    if (!counts.has(member) && counts.size >= UNMATCHED_TEXTS_PER_DAY) counts.delete(leastCounted(counts));
    counts.set(member, (counts.get(member) ?? 0) + 1);
  }

  async top(now: number, days: number, limit: number): Promise<UnmatchedCount[]> {
    const counted = windowDays(now, days).map((day) => ({
      day,
      members: [...(this.days.get(day) ?? new Map<string, number>())],
    }));
    return sumDays(counted, limit);
  }
}

/** Redis's ZPOPMIN: the lowest count, then the lowest member. */
function leastCounted(counts: ReadonlyMap<string, number>): string {
  let least: [string, number] | undefined;
  for (const [member, n] of counts) if (!least || n < least[1] || (n === least[1] && member < least[0])) least = [member, n];
  return least?.[0] ?? '';
}
