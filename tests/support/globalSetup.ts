import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisCluster, type RedisCluster } from '../../bench/redisCluster';
import { freePort, startPrivateRedis, type PrivateRedis } from './privateRedis';

/**
 * Jest globalSetup: the suite brings its own Redis. Unless TEST_REDIS_URL names one, a private
 * redis-server is started on a free port in a temporary directory, so the tests neither need a
 * Redis on 6379 nor write into whatever such a Redis holds. The URL goes into process.env before
 * Jest starts its workers, which inherit it (tests/support/testEnv.ts reads it, and passes it on
 * as REDIS_URL to the service processes the tests spawn). globalTeardown.ts stops the server.
 */

export interface SuiteRedis {
  readonly redis?: PrivateRedis;
  readonly dir?: string;
  /** The suite's Redis Cluster (3 masters, 3 replicas), for the suites that run on it too. */
  readonly cluster?: RedisCluster;
}

/** Shared with globalTeardown.ts: Jest runs both in its parent process. */
export const SUITE_REDIS = Symbol.for('talkshop.tests.suiteRedis');

type WithSuiteRedis = typeof globalThis & { [SUITE_REDIS]?: SuiteRedis };

export default async function globalSetup(): Promise<void> {
  // Started beside the single Redis (a few seconds, mostly waiting for the nodes to agree).
  // TEST_REDIS_CLUSTER_NODES names another cluster; TEST_REDIS_CLUSTER=off runs no cluster suite.
  const cluster =
    process.env.TEST_REDIS_CLUSTER_NODES || process.env.TEST_REDIS_CLUSTER === 'off' ? undefined : startRedisCluster();
  const single = startSingle();
  const [started, clustered] = await Promise.all([single, cluster]);
  if (clustered) {
    process.once('exit', () => void clustered.stop());
    process.env.TEST_REDIS_CLUSTER_NODES = clustered.nodeList;
  }
  (globalThis as WithSuiteRedis)[SUITE_REDIS] = { ...started, ...(clustered ? { cluster: clustered } : {}) };
}

async function startSingle(): Promise<{ redis: PrivateRedis; dir: string } | undefined> {
  if (process.env.TEST_REDIS_URL) {
    process.stderr.write(`\ntests use the Redis at TEST_REDIS_URL=${process.env.TEST_REDIS_URL}\n`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-test-redis-'));
  let redis: PrivateRedis | undefined;
  // The free port can be taken by someone else before redis-server binds it: try another one.
  for (let attempt = 1; !redis; attempt++) {
    try {
      redis = await startPrivateRedis(await freePort(), { dir });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const started = redis;
  // Should Jest exit without running globalTeardown (an error in setup, Ctrl-C), no server is left behind.
  process.once('exit', () => {
    if (started.proc.exitCode === null && started.proc.signalCode === null) started.proc.kill('SIGKILL');
  });
  process.env.TEST_REDIS_URL = started.url;
  return { redis: started, dir };
}
