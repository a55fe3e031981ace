import pino from 'pino';
import { createRedisStore } from '../../src/store/redis/redisStore';

/**
 * A child process for tests/store/rateLimitAccuracy.test.ts (run from the build, dist/): takes
 * tokens from one shared bucket as fast as the limiter allows between START_AT and END_AT (epoch
 * ms), sleeping the retryInMs it is told, and prints one JSON line with the times it was granted.
 */
async function main(): Promise<void> {
  const env = process.env;
  const startAt = Number(env.START_AT);
  const endAt = Number(env.END_AT);
  const rate = Number(env.RATE);
  const burst = Number(env.BURST);
  const bucket = env.BUCKET ?? 'page:accuracy:text';
  const store = await createRedisStore({
    url: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: env.KEY_PREFIX ?? 't-rate-child',
    dedupeTtlSeconds: 60,
    timeoutMs: 1500,
    logger: pino({ level: 'silent' }),
  });
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const grants: number[] = [];
  try {
    await sleep(Math.max(0, startAt - Date.now()));
    while (Date.now() < endAt) {
      const outcome = await store.rateLimits.take(bucket, rate, burst);
      if (outcome.granted) grants.push(Date.now());
      else await sleep(outcome.retryInMs);
    }
  } finally {
    await store.close();
  }
  process.stdout.write(`${JSON.stringify({ grants })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
