import { rmSync } from 'node:fs';
import { SUITE_REDIS, type SuiteRedis } from './globalSetup';

/** Jest globalTeardown: stops the private redis-server and cluster globalSetup.ts started (if it started them). */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as typeof globalThis & { [SUITE_REDIS]?: SuiteRedis };
  const suite = holder[SUITE_REDIS];
  if (!suite) return;
  delete holder[SUITE_REDIS];
  // In watch mode the next run's globalSetup must start a new server, not reuse this URL.
  if (suite.redis && process.env.TEST_REDIS_URL === suite.redis.url) delete process.env.TEST_REDIS_URL;
  if (suite.cluster && process.env.TEST_REDIS_CLUSTER_NODES === suite.cluster.nodeList)
    delete process.env.TEST_REDIS_CLUSTER_NODES;
  await Promise.all([suite.redis?.kill(), suite.cluster?.stop()]);
  if (suite.dir) rmSync(suite.dir, { recursive: true, force: true });
}
