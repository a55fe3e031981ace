import { rmSync } from 'node:fs';
import { SUITE_REDIS, type SuiteRedis } from './globalSetup';

/** Jest globalTeardown: stops the private redis-server globalSetup.ts started (if it started one). */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [SUITE_REDIS]?: SuiteRedis };
  const suite = holder[SUITE_REDIS];
  if (!suite) return;
  delete holder[SUITE_REDIS];
  // In watch mode the next run's globalSetup must start a new server, not reuse this URL.
  if (process.env.TEST_REDIS_URL === suite.redis.url) delete process.env.TEST_REDIS_URL;
  await suite.redis.kill();
  rmSync(suite.dir, { recursive: true, force: true });
}
