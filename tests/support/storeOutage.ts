import type { RunningService } from '../../src/server';
import { waitFor } from './webhookClient';

/** Waits until `store`'s ping fails: it has noticed that its Redis (or a master of it) is gone. */
export const waitForStoreDown = (what: string, store: { ping(): Promise<unknown> }): Promise<unknown> =>
  waitFor(what, () =>
    store.ping().then(
      () => undefined,
      (err: unknown) => err,
    ),
  );

/**
 * Stops a running service while its Redis is down: once its worker holds partitions, `takeDown`
 * kills Redis (or a master of it); once the service's store has noticed, `service.stop()` must
 * resolve, its worker, leases and every connection included (a test's timeout says it did not).
 */
export async function stopWhileRedisDown(service: RunningService, takeDown: () => Promise<unknown>): Promise<void> {
  await waitFor('the worker to hold partitions', () => ((service.worker?.heldPartitions.length ?? 0) > 0 ? true : undefined));
  await takeDown();
  await waitForStoreDown('the service to notice Redis is gone', service.store);
  await service.stop();
}
