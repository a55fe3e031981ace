import { createClient } from 'redis';
import { TEST_REDIS_URL } from './testEnv';

/** Deletes every key under a test's prefix (tests never flush the shared Redis). */
export async function deletePrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    await client.quit();
  }
}
