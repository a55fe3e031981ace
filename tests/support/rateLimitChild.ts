import pino from 'pino';
import { createRedisStore } from '../../src/store/redis/redisStore';

/**
 * A child process for tests/store/rateLimitAccuracy.test.ts (run from the build, dist/): connects
 * to the store and says so ({"msg":"rate child ready"}); on SIGUSR2 it takes tokens from one shared
 * bucket as fast as the limiter allows for RUN_MS, sleeping the retryInMs it is told, and prints
 * how many it was granted ({"msg":"rate child done","granted":n}). The test starts the run only
 * once every child is ready, so a slow start never shortens one child's run.
 */
async function main(): Promise<void> {
  const env = process.env;
  const runMs = Number(env.RUN_MS);
  const rate = Number(env.RATE);
  const burst = Number(env.BURST);
  const bucket = env.BUCKET ?? 'page:accuracy:text';
  if (!env.REDIS_URL || !env.KEY_PREFIX || !(runMs > 0)) throw new Error('REDIS_URL, KEY_PREFIX and RUN_MS are required');
  const go = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  const store = await createRedisStore({
    url: env.REDIS_URL,
    keyPrefix: env.KEY_PREFIX,
    dedupeTtlSeconds: 60,
    timeoutMs: 10_000,
    logger: pino({ level: 'silent' }),
  });
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  let granted = 0;
  try {
    await store.ping();
    process.stdout.write(`${JSON.stringify({ msg: 'rate child ready', port: 0 })}\n`);
    await go;
    const endAt = Date.now() + runMs;
    while (Date.now() < endAt) {
      const outcome = await store.rateLimits.take(bucket, rate, burst);
      if (outcome.granted) granted += 1;
      else await sleep(outcome.retryInMs);
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${JSON.stringify({ msg: 'rate child done', granted })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
