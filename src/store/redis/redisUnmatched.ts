import type { Keys } from '../keys';
import { UNMATCHED_TEXTS_PER_DAY, type UnmatchedCount, type UnmatchedOutcome, type UnmatchedStore } from '../ports';
import { dayExpiresAt, memberOf, sumDays, utcDay, windowDays } from '../unmatchedCounts';
import type { LuaScript } from './luaScript';
import type { RedisConnection } from './redisConnection';

/**
 * Texts the bot did not understand, in Redis: a sorted set per UTC day (keys.ts `unmatched`),
 * bounded by lua/unmatchedCount.lua and expiring on its own after the retention.
 */
export class RedisUnmatched implements UnmatchedStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly script: LuaScript,
  ) {}

  async count(text: string, outcome: UnmatchedOutcome, at: number): Promise<void> {
    const member = memberOf(text, outcome);
    if (member === '') return;
    const day = utcDay(at);
    await this.conn.run(
      this.script,
      [this.keys.unmatched(day)],
      [member, String(UNMATCHED_TEXTS_PER_DAY), String(dayExpiresAt(day))],
    );
  }

  async top(now: number, days: number, limit: number): Promise<UnmatchedCount[]> {
    const counted = await Promise.all(
      windowDays(now, days).map(async (day) => {
        const reply = await this.conn.send('unmatched read', ['ZRANGE', this.keys.unmatched(day), '0', '-1', 'WITHSCORES']);
        const flat = Array.isArray(reply) ? reply.map(String) : [];
        const members: Array<readonly [string, number]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) members.push([flat[i] as string, Number(flat[i + 1])]);
        return { day, members };
      }),
    );
    return sumDays(counted, limit);
  }
}
