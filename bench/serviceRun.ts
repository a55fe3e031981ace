import pino from 'pino';
import { startFakeGraphApi, type FakeGraphApi } from '../src/emulator/fakeGraphApi';
import type { Store } from '../src/store/ports';
import { createRedisStore } from '../src/store/redis/redisStore';
import type { SpawnedService } from '../tests/support/spawnService';
import { TEST_PAGE, TEST_SECRET } from '../tests/support/testEnv';
import { deletePrefix, openRedis, stopProcess, type Redis } from './processes';

/** What the benches that run service processes on a prefix of their own keep for a phase. */
export interface ServicePhase {
  readonly prefix: string;
  readonly store: Store;
  readonly procs: SpawnedService[];
  closing: boolean;
}

/**
 * A store on a fresh `prefix`, with `seed` run on it. A failed seed closes the store and deletes
 * what it wrote (the Redis is shared), then rethrows.
 */
export async function openSeededStore<T>(
  redisUrl: string,
  redis: Redis,
  prefix: string,
  seed: (store: Store) => Promise<T>,
): Promise<{ store: Store; seeded: T }> {
  const store = await createRedisStore({
    url: redisUrl,
    keyPrefix: prefix,
    dedupeTtlSeconds: 3600,
    timeoutMs: 30_000,
    logger: pino({ level: 'silent' }),
  });
  try {
    return { store, seeded: await seed(store) };
  } catch (err) {
    await store.close();
    await deletePrefix(redis, prefix);
    throw err;
  }
}

/** Stops the phase's processes (an exit from here on is expected), closes its store, deletes its keys. */
export async function closeServices(p: ServicePhase, redis: Redis): Promise<void> {
  p.closing = true;
  await Promise.all(p.procs.map((s) => stopProcess(s.proc, s.exited())));
  await p.store.close();
  await deletePrefix(redis, p.prefix);
}

/**
 * A bench's main: the fake Graph API (counting only: a record of 100k calls would weigh on the
 * fake's memory) and a Redis client for `phases`, which adds its results to `out`; then `out`
 * with the bench's own peak RSS as one JSON line on stdout. A failure exits 1 with its stack.
 */
export function runBench(
  redisUrl: string,
  out: Record<string, unknown>,
  phases: (fake: FakeGraphApi, redis: Redis) => Promise<void>,
): void {
  const main = async (): Promise<void> => {
    const fake = await startFakeGraphApi({
      appSecret: TEST_SECRET,
      accessToken: 'test-access-token',
      pageId: TEST_PAGE,
      appId: 'test-app',
      maxRecordedCalls: 0,
    });
    const redis = await openRedis(redisUrl);
    try {
      await phases(fake, redis);
    } finally {
      await fake.stop();
      await redis.quit();
    }
    out.rssMb = { bench: Math.round((process.resourceUsage().maxRSS * 1024) / 1024 / 102.4) / 10 };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  };
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
