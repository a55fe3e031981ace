import type { Logger } from '../logger';
import type { Store } from '../store/ports';

const BATCH = 100;

/**
 * While this worker holds a partition, moves its due timers into its inbox (under the lease), where
 * the worker applies them like any event. Timers live in the store, so they survive restarts: the
 * next holder of the partition fires what came due meanwhile.
 */
export async function pumpTimers(
  store: Store,
  partition: number,
  leaseToken: string,
  active: () => boolean,
  now: () => number,
  logger: Logger,
  everyMs = 500,
): Promise<void> {
  while (active()) {
    try {
      const moved = await store.timers.fireDue(partition, leaseToken, now(), BATCH);
      if (moved < 0) return; // the lease is gone
      if (moved === BATCH) continue; // more are due: no pause
    } catch (err) {
      logger.warn({ err, partition }, 'firing timers failed; retrying');
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
