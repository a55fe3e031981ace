import type { Keys } from '../keys';
import type { RateLimitStore, TakeOptions, TakeOutcome } from '../ports';
import { assertPauseMs, bucketLimits } from '../tokenBucket';
import type { LuaScript } from './luaScript';
import type { RedisConnection } from './redisConnection';

/**
 * Token buckets shared by every process on one Redis: each take or pause is one call of
 * lua/rateLimit.lua on one key, timed by the server's clock.
 */
export class RedisRateLimits implements RateLimitStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly script: LuaScript,
  ) {}

  async take(bucket: string, ratePerSec: number, burst: number, options?: TakeOptions): Promise<TakeOutcome> {
    const l = bucketLimits(ratePerSec, burst, options);
    const reply = await this.conn.run(
      this.script,
      [this.keys.rateBucket(bucket)],
      ['take', String(l.ratePerSec), String(l.burst), String(l.reserve), String(l.count)],
    );
    const [granted, retryInMs, count] = replyTriple(reply);
    return granted === 1 ? { granted: true, count: Math.max(1, count) } : { granted: false, retryInMs: Math.max(1, retryInMs) };
  }

  async pause(bucket: string, forMs: number): Promise<void> {
    assertPauseMs(forMs);
    const reply = await this.conn.run(this.script, [this.keys.rateBucket(bucket)], ['pause', String(forMs)]);
    if (!Array.isArray(reply) || reply.length !== 2) throw mismatch(reply);
  }
}

function replyTriple(reply: unknown): [number, number, number] {
  if (Array.isArray(reply) && reply.length === 3) return [Number(reply[0]), Number(reply[1]), Number(reply[2])];
  throw mismatch(reply);
}

const mismatch = (reply: unknown): Error =>
  new Error(`rateLimit script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisRateLimits.ts?`);
