import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Effect, InboxItem, StateStore } from '../store/ports';
import type { Handler } from './handler';
import { userKeyOf } from './partitionOf';

export interface ApplyContext<S> {
  readonly states: StateStore;
  readonly handler: Handler<S>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/** `done`: the item is applied (or was already); `lease_lost`: stop the partition. */
export type ApplyOutcome = 'done' | 'lease_lost';

const MAX_VERSION_RETRIES = 3;

/** Runs the handler, turning a throw into "no change" so one bad item cannot wedge a partition. */
function step<S>(ctx: ApplyContext<S>, data: unknown, item: InboxItem): { data: unknown; effects: readonly Effect[] } {
  const started = process.hrtime.bigint();
  try {
    const result = ctx.handler.handle(ctx.handler.decode(data), item, ctx.now());
    return { data: result.state, effects: result.effects };
  } catch (err) {
    ctx.metrics.handlerErrors.inc();
    const { kind, channel } = item.record.event;
    ctx.logger.error({ err, itemId: item.id, partition: item.partition, kind, channel }, 'handler failed; item applied as a no-op');
    return { data, effects: [] };
  } finally {
    ctx.metrics.handlerSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/**
 * Applies one inbox item: load the user's state, run the handler, commit state + effects +
 * cursor in one atomic step guarded by the lease token and the state version. A stale version
 * (someone else wrote the state) reloads and re-runs; store failures propagate to the caller,
 * which retries the same item, so nothing is skipped.
 */
export async function applyItem<S>(ctx: ApplyContext<S>, item: InboxItem, leaseToken: string): Promise<ApplyOutcome> {
  const { pageId, userId, kind } = item.record.event;
  const userKey = userKeyOf(pageId, userId);
  for (let attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
    const stored = await ctx.states.load(item.partition, userKey);
    const next = step(ctx, stored.data, item);
    const outcome = await ctx.states.commit({
      partition: item.partition,
      leaseToken,
      itemId: item.id,
      userKey,
      expectedVersion: stored.version,
      data: next.data,
      effects: next.effects,
    });
    if (outcome.type === 'committed') {
      ctx.metrics.eventsApplied.inc({ kind });
      return 'done';
    }
    ctx.metrics.commitRefused.inc({ outcome: outcome.type });
    if (outcome.type === 'already_applied') return 'done';
    if (outcome.type === 'lease_lost') return 'lease_lost';
    ctx.logger.warn({ partition: item.partition, itemId: item.id, expected: stored.version, current: outcome.currentVersion }, 'stale state version; reloading');
  }
  throw new Error(`state of ${userKey} kept changing under partition ${item.partition}; is INBOX_PARTITIONS the same on every process?`);
}
