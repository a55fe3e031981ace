import { createClient } from 'redis';
import { TEST_REDIS_URL } from './testEnv';

/** Everything under a key prefix, as text: strings, hashes, sets, sorted sets, lists and streams (to scan for what must never be stored). */
export async function storeDump(prefix: string): Promise<string> {
  const redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  try {
    const out: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }))
      for (const key of batch) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? await redis.hGetAll(key)
              : type === 'set'
                ? await redis.sMembers(key)
                : type === 'zset'
                  ? await redis.zRange(key, 0, -1)
                  : type === 'list'
                    ? await redis.lRange(key, 0, -1)
                    : type === 'stream'
                      ? await redis.xRange(key, '-', '+')
                      : null;
        out.push(key, JSON.stringify(value));
      }
    return out.join('\n');
  } finally {
    await redis.quit();
  }
}
