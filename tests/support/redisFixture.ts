import pino from 'pino';
import { createClient } from 'redis';
import { keysFor } from '../../src/store/keys';
import type { Store } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { deletePrefix } from './redisKeys';
import { TEST_REDIS_URL, uniquePrefix } from './testEnv';

/**
 * A Redis store under a fresh key prefix, plus a plain client on the same server for writing what
 * another Talkshop release (or a person) could have left there. Registers its own beforeAll and
 * afterAll (which deletes the prefix); call it inside a describe.
 */
export function redisFixture(label: string) {
  const prefix = uniquePrefix(label);
  const raw = createClient({ url: TEST_REDIS_URL });
  let store: Store | undefined;
  beforeAll(async () => {
    await raw.connect();
    store = await createRedisStore({
      url: TEST_REDIS_URL,
      keyPrefix: prefix,
      dedupeTtlSeconds: 60,
      timeoutMs: 1500,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await store?.close();
    await raw.quit();
    await deletePrefix(prefix);
  });
  return {
    prefix,
    keys: keysFor(prefix),
    raw,
    store: (): Store => {
      if (!store) throw new Error('redisFixture: the store is ready only inside tests (after beforeAll)');
      return store;
    },
  };
}
