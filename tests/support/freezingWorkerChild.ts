import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import type { Handler } from '../../src/runtime/handler';
import { Worker } from '../../src/runtime/worker';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { counterHandler, type CounterState } from './counterHandler';

/**
 * A child process for tests/runtime/workerFreeze.test.ts (run from the build, dist/): a worker on
 * one partition whose handler never returns from a message saying "freeze" (a synchronous loop,
 * as a catastrophic regular expression would: the event loop is stuck, the lease is not renewed).
 * Prints {"msg":"freeze child ready"} once it runs; logs at warn level as JSON on stdout.
 */
const freezing: Handler<CounterState> = {
  ...counterHandler,
  handle(state, item, now) {
    const raw = item.record.event.raw as { message?: { text?: string } };
    if (raw.message?.text === 'freeze') for (;;);
    return counterHandler.handle(state, item, now);
  },
};

async function main(): Promise<void> {
  const env = process.env;
  if (!env.REDIS_URL || !env.KEY_PREFIX) throw new Error('REDIS_URL and KEY_PREFIX are required');
  const logger = pino({ level: 'warn' });
  const store = await createRedisStore({
    url: env.REDIS_URL,
    keyPrefix: env.KEY_PREFIX,
    dedupeTtlSeconds: 60,
    timeoutMs: 10_000,
    logger,
  });
  const worker = new Worker<CounterState>({
    store,
    handler: freezing,
    partitions: 1,
    workerId: `freeze-${process.pid}`,
    leaseTtlMs: Number(env.LEASE_TTL_MS ?? 1000),
    logger,
    metrics: createMetrics(),
    readBlockMs: 100,
    maxAttempts: Number(env.MAX_ATTEMPTS ?? 2),
  });
  await worker.start();
  process.stdout.write(`${JSON.stringify({ msg: 'freeze child ready', port: 0 })}\n`);
  process.once(
    'SIGTERM',
    () =>
      void worker
        .stop()
        .then(() => store.close())
        .then(() => process.exit(0)),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
