import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Effect, InboxItem, StateStore } from '../store/ports';
import type { Handler } from './handler';
import { userKeyOf } from './partitionOf';
import type { StateCache } from './stateCache';

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

/** The user's state as the worker knows it: decoded (from the cache or a load) or, if unreadable, raw. */
type Current<S> = { readonly version: number; readonly state: S } | { readonly version: number; readonly raw: unknown };

async function current<S>(ctx: ApplyContext<S>, cache: StateCache<S>, partition: number, userKey: string): Promise<Current<S>> {
  const hit = cache.get(userKey);
  if (hit) return hit;
  const stored = await ctx.states.load(partition, userKey);
  try {
    return { version: stored.version, state: ctx.handler.decode(stored.data) };
  } catch {
    return { version: stored.version, raw: stored.data };
  }
}

interface Step<S> {
  readonly data: unknown;
  readonly state?: S;
  readonly effects: readonly Effect[];
}

/** Runs the handler, turning a throw into "no change" so one bad item cannot wedge a partition. */
function step<S>(ctx: ApplyContext<S>, now: Current<S>, item: InboxItem): Step<S> {
  const started = process.hrtime.bigint();
  try {
    if (!('state' in now)) throw new Error('stored state is unreadable (decode failed)');
    const result = ctx.handler.handle(now.state, item, ctx.now());
    return { data: result.state, state: result.state, effects: result.effects };
  } catch (err) {
    ctx.metrics.handlerErrors.inc();
    const { kind, channel } = item.record.event;
    ctx.logger.error({ err, itemId: item.id, partition: item.partition, kind, channel }, 'handler failed; item applied as a no-op');
    return 'state' in now ? { data: now.state, state: now.state, effects: [] } : { data: now.raw, effects: [] };
  } finally {
    ctx.metrics.handlerSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/**
 * Applies one inbox item: get the user's state (cache or store), run the handler, commit state +
 * effects + cursor in one atomic step guarded by the lease token and the state version. A stale
 * version (someone else wrote the state) drops the cached copy, reloads and re-runs; store
 * failures propagate to the caller, which retries the same item, so nothing is skipped.
 */
export async function applyItem<S>(ctx: ApplyContext<S>, item: InboxItem, leaseToken: string, cache: StateCache<S>): Promise<ApplyOutcome> {
  const { pageId, userId, kind } = item.record.event;
  const userKey = userKeyOf(pageId, userId);
  for (let attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
    const now = await current(ctx, cache, item.partition, userKey);
    const next = step(ctx, now, item);
    const outcome = await ctx.states.commit({
      partition: item.partition,
      leaseToken,
      itemId: item.id,
      userKey,
      expectedVersion: now.version,
      data: next.data,
      effects: next.effects,
    });
    if (outcome.type === 'committed') {
      if (next.state !== undefined) cache.set(userKey, { version: outcome.version, state: next.state });
      else cache.delete(userKey);
      ctx.metrics.eventsApplied.inc({ kind });
      return 'done';
    }
    cache.delete(userKey);
    ctx.metrics.commitRefused.inc({ outcome: outcome.type });
    if (outcome.type === 'already_applied') return 'done';
    if (outcome.type === 'lease_lost') return 'lease_lost';
    ctx.logger.warn({ partition: item.partition, itemId: item.id, expected: now.version, current: outcome.currentVersion }, 'stale state version; reloading');
  }
  throw new Error(`state of ${userKey} kept changing under partition ${item.partition}; is INBOX_PARTITIONS the same on every process?`);
}
