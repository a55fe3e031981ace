import pino from 'pino';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { Store } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { clusterAdapters } from './clusterStore';
import { deletePrefix } from './redisKeys';
import { TEST_REDIS_URL, uniquePrefix } from './testEnv';

export type StoreFactory = () => Promise<{ store: Store; prefix?: string; cleanup: () => Promise<void> }>;

/**
 * Every adapter, for a test that holds a port's promises against the memory store, a real Redis and
 * a Redis Cluster alike (`describe.each(storeAdapters('name'))`): a fresh store per call, Redis under
 * its own prefix (deleted by `cleanup`), dedupe kept 1 s.
 */
export const storeAdapters = (name: string): Array<[string, StoreFactory]> => [
  ['memory', async () => ({ store: createMemoryStore({ dedupeTtlSeconds: 1 }), cleanup: async () => undefined })],
  [
    'redis',
    async () => {
      const prefix = uniquePrefix(name);
      const store = await createRedisStore({
        url: TEST_REDIS_URL,
        keyPrefix: prefix,
        dedupeTtlSeconds: 1,
        timeoutMs: 5000,
        logger: pino({ level: 'silent' }),
      });
      return { store, prefix, cleanup: () => deletePrefix(prefix) };
    },
  ],
  ...clusterAdapters(name),
];
