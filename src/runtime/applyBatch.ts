import { cardJson } from '../audience/audienceCard';
import type { EngineEffect } from '../engine/effects';
import { parseBroadcastStatField } from '../engine/broadcastSend';
import { FUNNEL_ID } from '../engine/funnel';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { CommitItem, InboxItem, StateStore, ThreadMark } from '../store/ports';
import { encodeEffect } from './decodeEffect';
import type { Handler } from './handler';
import { userKeyOf } from '../store/partitionOf';
import type { StateCache } from './stateCache';

export interface ApplyContext<S> {
  readonly states: StateStore;
  readonly handler: Handler<S>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/** Inbox items that are not a user's own doing: their users are cached only if they were already. */
const BULK_KINDS: ReadonlySet<string> = new Set(['broadcast', 'timer_fired']);

/** How many of the items were applied (and may leave the queue), or the lease is gone. */
export type ApplyOutcome = { readonly type: 'applied'; readonly count: number } | { readonly type: 'lease_lost' };

/** The user's state as the worker knows it: decoded (from the cache or a load) or, if unreadable, raw. */
type Current<S> = { readonly version: number; readonly state: S } | { readonly version: number; readonly raw: unknown };

async function load<S>(ctx: ApplyContext<S>, partition: number, userKey: string): Promise<Current<S>> {
  const stored = await ctx.states.load(partition, userKey);
  try {
    return { version: stored.version, state: ctx.handler.decode(stored.data) };
  } catch {
    return { version: stored.version, raw: stored.data };
  }
}

/** Runs the handler, turning a throw into "no change" so one bad item cannot wedge a partition. */
function step<S>(
  ctx: ApplyContext<S>,
  now: Current<S>,
  item: InboxItem,
): { next: Current<S>; data: unknown; effects: readonly EngineEffect[]; writeState?: false; stats?: readonly string[] } {
  const started = process.hrtime.bigint();
  const version = now.version + 1;
  try {
    if (!('state' in now)) throw new Error('stored state is unreadable (decode failed)');
    const result = ctx.handler.handle(now.state, item, ctx.now());
    const stats = result.stats && result.stats.length > 0 ? { stats: result.stats } : {};
    if (result.keep === false && now.version === 0) return { next: now, data: null, effects: [], writeState: false, ...stats };
    return { next: { version, state: result.state }, data: result.state, effects: result.effects, ...stats };
  } catch (err) {
    ctx.metrics.handlerErrors.inc();
    const { kind, channel } = item.record.event;
    ctx.logger.error(
      { err, itemId: item.id, partition: item.partition, kind, channel },
      'handler failed; item applied as a no-op',
    );
    return { next: { ...now, version }, data: 'state' in now ? now.state : now.raw, effects: [] };
  } finally {
    ctx.metrics.handlerSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/**
 * The thread-list write for one step: a listed user's entry is (re)written on each of their items
 * (cheap: few users are with a person, and it heals a list older than its states); a user
 * leaving the list is removed once; everyone else (nearly all traffic) costs nothing.
 */
function threadChange<S>(handler: Handler<S>, before: Current<S>, after: Current<S>): ThreadMark | null | undefined {
  if (!handler.threadMark || !('state' in after)) return undefined;
  const mark = handler.threadMark(after.state);
  if (mark) return mark;
  if (!('state' in before)) return null; // unreadable before: make sure no stale entry stays
  return handler.threadMark(before.state) ? null : undefined;
}

/** The card as the index keeps it (with the retention expiry, so a forgotten user counts as gone), or null. */
function cardText<S>(handler: Handler<S>, state: S, now: number): string | null {
  const card = handler.audienceCard?.(state);
  if (!card) return null;
  return cardJson(card, handler.expireAt?.(state, now));
}

/**
 * The audience-index write for one step: only when the card differs from the one of the state
 * before (two small JSON texts compared), so an event that changes nothing a filter reads costs
 * nothing. `fresh`: the state before came from the store, not from what this worker committed;
 * then the card is written anyway, because the index may not have it yet (a state committed before
 * the index existed, or by an older release): every user's card heals on their next event after a
 * restart or a lease move, and `talkshop audience reindex` sends that event to everyone.
 */
function audienceChange<S>(
  handler: Handler<S>,
  before: Current<S>,
  after: Current<S>,
  fresh: boolean,
  now: number,
): string | null | undefined {
  if (!handler.audienceCard || !('state' in after)) return undefined;
  const card = cardText(handler, after.state, now);
  if (fresh || !('state' in before)) return card;
  return card === cardText(handler, before.state, now) ? undefined : card;
}

/** The Prometheus side of a committed counter: a flow funnel's node, or a broadcast's outcome. */
function countStat(metrics: Metrics, field: string): void {
  const { broadcast, counter } = parseBroadcastStatField(field);
  if (broadcast !== FUNNEL_ID) return metrics.broadcastCounts.inc({ broadcast, counter });
  // `<day>|<flow>/<node>`; the per-variant counts stay in the store only (labels would multiply).
  const [, path, variant] = counter.split('|');
  const slash = path?.indexOf('/') ?? -1;
  if (path && variant === undefined && slash > 0)
    metrics.nodesReached.inc({ flow: path.slice(0, slash), node: path.slice(slash + 1) });
}

/**
 * Applies a run of one partition's items, in order: each user's state comes from the cache or
 * the store (loads of a batch go out together), the handler runs item after item (a user with
 * several items sees their own earlier results), and one atomic commit per batch writes states,
 * effects and the cursor, guarded by the lease token and each state's version. On a version
 * conflict the items before it stay applied and the caller retries from the conflicting one with
 * fresh state; store failures propagate and the caller retries, so nothing is skipped.
 */
export async function applyBatch<S>(
  ctx: ApplyContext<S>,
  items: readonly InboxItem[],
  leaseToken: string,
  cache: StateCache<S>,
): Promise<ApplyOutcome> {
  const first = items[0];
  if (!first) return { type: 'applied', count: 0 };
  const partition = first.partition;
  const keys = items.map((i) => userKeyOf(i.record.event.pageId, i.record.event.userId));
  const working = new Map<string, Current<S>>();
  // A cached user whose retention time has passed is gone from the store: load them again (the
  // version check would refuse the cached copy anyway, with a reload and a warning).
  const expired = (k: string): boolean => {
    const hit = cache.get(k);
    const at = hit && ctx.handler.expireAt?.(hit.state, ctx.now());
    return at !== undefined && at <= ctx.now();
  };
  const users = [...new Set(keys)];
  for (const k of users) if (expired(k)) cache.delete(k);
  const misses = users.filter((k) => !cache.get(k));
  const loaded = await Promise.all(misses.map((k) => load(ctx, partition, k)));
  misses.forEach((k, i) => working.set(k, loaded[i] as Current<S>));
  // The cached users too, each looked up once (a lookup also moves the user up the cache's order).
  for (const k of users) if (!working.has(k)) working.set(k, cache.get(k) as Current<S>);

  // Each user's first item is prepared (e.g. a profile lookup) for all users at once: under Graph
  // latency a batch of new users costs one round trip, not one per user. Later items of a user
  // are prepared in turn, against the state their earlier items left.
  const current = (k: string) => working.get(k) as Current<S>;
  const prepare = (now: Current<S>, item: InboxItem): Promise<InboxItem> =>
    ctx.handler.prepare && 'state' in now ? ctx.handler.prepare(now.state, item, ctx.now()) : Promise.resolve(item);
  const firstOf = new Map<string, number>();
  keys.forEach((k, i) => firstOf.has(k) || firstOf.set(k, i));
  const prepared = new Map([...firstOf].map(([k, i]) => [i, prepare(current(k), items[i] as InboxItem)] as const));
  // The batch fails at the first failed item; later users' failures must not go unhandled (Node
  // ends the process on an unhandled rejection) when several fail at once (a broken dependency).
  for (const p of prepared.values()) p.catch(() => undefined);

  const commits: CommitItem[] = [];
  const fresh = new Set(misses);
  const loadedNow: ReadonlySet<string> = new Set(misses);
  for (const [i, item] of items.entries()) {
    const userKey = keys[i] as string;
    const now = current(userKey);
    const ready = await (prepared.get(i) ?? prepare(now, item));
    const { next, data, effects, writeState, stats } = step(ctx, now, ready);
    working.set(userKey, next);
    const counted = stats ? { stats } : {};
    if (writeState === false) {
      commits.push({ itemId: item.id, userKey, expectedVersion: now.version, data, effects: [], writeState, ...counted });
      continue;
    }
    const expireAt = 'state' in next ? ctx.handler.expireAt?.(next.state, ctx.now()) : undefined;
    const facts = 'state' in next ? ctx.handler.sendFacts?.(next.state) : undefined;
    commits.push({
      itemId: item.id,
      userKey,
      expectedVersion: now.version,
      data,
      effects: effects.map(encodeEffect),
      thread: threadChange(ctx.handler, now, next),
      audience: audienceChange(ctx.handler, now, next, fresh.delete(userKey), ctx.now()),
      ...(expireAt === undefined ? {} : { expireAt }),
      ...(facts === undefined ? {} : { facts }),
      ...counted,
    });
  }
  const outcome = await ctx.states.commit({ partition, leaseToken, items: commits });

  if (outcome.type === 'lease_lost') return outcome;
  if (outcome.type === 'stale_version') {
    // Rare (INBOX_PARTITIONS differs between processes, or a hand edit): forget and reload.
    ctx.metrics.commitRefused.inc({ outcome: 'stale_version' });
    ctx.logger.warn(
      { partition, itemId: items[outcome.index]?.id, current: outcome.currentVersion },
      'stale state version; reloading',
    );
    for (const k of keys) cache.delete(k);
    items.slice(0, outcome.index).forEach((i) => ctx.metrics.eventsApplied.inc({ kind: i.record.event.kind }));
    return { type: 'applied', count: outcome.index };
  }
  outcome.applied.forEach((applied, i) => {
    if (!applied) return ctx.metrics.commitRefused.inc({ outcome: 'already_applied' });
    ctx.metrics.eventsApplied.inc({ kind: items[i]?.record.event.kind ?? 'unknown' });
    for (const field of commits[i]?.stats ?? []) countStat(ctx.metrics, field);
  });
  // Keep what was committed for the next batch; anything unusual (a skipped item, an unreadable
  // state) is simply reloaded next time. A user met only by bulk items (a broadcast, a timer) who
  // was not cached is not added: a 100,000-user broadcast would otherwise push out the users who
  // are talking to the bot, and hold every recipient's state in memory for nothing.
  const clean = outcome.applied.every(Boolean);
  const live = new Set(keys.filter((_, i) => !BULK_KINDS.has(items[i]?.record.event.kind ?? '')));
  for (const [k, v] of working) {
    if (!clean || !('state' in v)) cache.delete(k);
    else if (live.has(k) || !loadedNow.has(k)) cache.set(k, v);
  }
  return { type: 'applied', count: items.length };
}
