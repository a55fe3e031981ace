import type { Logger } from '../logger';

/**
 * Work that runs beside the apply loop for as long as a worker holds a partition (the outbox
 * sender, the timer pump): it gets the lease token for fencing, `active()` and a `wake(ms)` that
 * resolves when the partition committed new effects or after `ms`.
 */
export type PartitionTask = (
  partition: number,
  leaseToken: string,
  active: () => boolean,
  wake: (ms: number) => Promise<void>,
) => Promise<void>;

export interface SuperviseHooks {
  readonly logger: Logger;
  /** Called at each restart (counted in talkshop_partition_task_restarts_total). */
  readonly restarted: () => void;
  /** Whether the task runs now: false between a failure and its restart. */
  readonly serving: (running: boolean) => void;
}

/** Longest pause before a failed partition task is started again. */
const RESTART_MAX_MS = 5000;

/**
 * Runs a partition task for as long as `active()`. A task that fails is restarted after a growing
 * pause (100 ms, doubling, at most 5 s): left dead, the partition would send nothing while its
 * worker still holds the lease (and no other worker may take it).
 */
export async function supervise(
  task: PartitionTask,
  partition: number,
  leaseToken: string,
  active: () => boolean,
  wake: (ms: number) => Promise<void>,
  hooks: SuperviseHooks,
): Promise<void> {
  const { logger, restarted, serving } = hooks;
  for (let failures = 0; active();) {
    const started = Date.now();
    serving(true);
    try {
      return await task(partition, leaseToken, active, wake);
    } catch (err) {
      // A task that ran a while before failing starts over with the shortest pause.
      failures = Date.now() - started > 6 * RESTART_MAX_MS ? 1 : failures + 1;
      logger.error({ err, partition, failures }, 'partition task failed; restarting it');
      restarted();
    } finally {
      serving(false);
    }
    const until = Date.now() + Math.min(RESTART_MAX_MS, 100 * 2 ** (failures - 1));
    while (active() && Date.now() < until) await wake(until - Date.now());
  }
}

/**
 * Runs several tasks for one partition side by side as one task. When one fails the others are
 * asked to stop, and the failure is passed on only once all have ended, so a restart never runs
 * two copies of a task beside each other.
 */
export function sideBySide(...tasks: readonly PartitionTask[]): PartitionTask {
  return async (partition, leaseToken, active, wake) => {
    let failed = false;
    const going = () => active() && !failed;
    const ran = await Promise.allSettled(
      tasks.map((t) =>
        t(partition, leaseToken, going, wake).catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      ),
    );
    for (const r of ran) if (r.status === 'rejected') throw r.reason;
  };
}
