import type { Logger } from '../../logger';
import { keysFor, tombstoneIdOf, type Keys } from '../keys';
import { psidOf } from '../partitionOf';
import type {
  AppendOutcome,
  AppendRequest,
  CommitOutcome,
  CommitRequest,
  SetAsideEntry,
  SetAsideOutcome,
  SetAsideReason,
  DeliveryFacts,
  ForgetOutcome,
  InboxRead,
  PendingTimer,
  Tombstone,
  HeldPartition,
  InboxStore,
  LeaseGrant,
  LeaseStore,
  OutboxCursorMove,
  OutboxDone,
  SendFactsRow,
  OutboxEntry,
  StateStore,
  OwnedStore,
  StoredState,
  ThreadEntry,
} from '../ports';
import { SET_ASIDE_KEPT } from '../ports';
import {
  decodeInboxRead,
  decodeInboxRecord,
  decodeSetAside,
  decodeStateData,
  decodeStoredEffect,
  decodeThreadMark,
  encodeInboxRecord,
} from '../records';
import { loadScript, type LuaScript, type ScriptName } from './luaScript';
import { RedisConnection } from './redisConnection';
import { RedisBroadcasts } from './redisBroadcasts';
import { RedisRateLimits } from './redisRateLimits';
import { RedisWebhooks } from './redisWebhooks';
import { RedisUnmatched } from './redisUnmatched';
import { claimRedisOwner } from './redisOwner';
import { parseEntries, streamsOf } from './streamReply';
import { PartitionReads } from './partitionReads';
import { scanStep } from './scanStep';
import { StoreUnavailableError } from '../../errors';

export interface RedisStoreOptions {
  readonly url: string;
  /** host:port of Redis Cluster nodes (REDIS_CLUSTER_NODES); without it, `url` is asked whether it is a cluster node. */
  readonly clusterNodes?: readonly string[];
  /**
   * Replicas that must hold an appended event before append() resolves (WAIT, on the node that
   * wrote it), so a failover cannot lose an event the webhook acknowledged; 0 (the default) = no
   * wait. Fewer acknowledgements within waitTimeoutMs make the append a StoreUnavailableError (503:
   * Meta sends the event again, and the dedupe keeps it once).
   */
  readonly waitReplicas?: number;
  readonly waitTimeoutMs?: number;
  readonly keyPrefix: string;
  readonly dedupeTtlSeconds: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /**
   * An open connection to share with other stores (several Pages in one process: their keys differ
   * by prefix only), for every command but the blocking reads, which get sockets of their own. The
   * store never closes it: its opener does, after every store on it. Unset = a connection of its own.
   */
  readonly connection?: RedisConnection;
}

type Scripts = Record<ScriptName, LuaScript>;

function loadScripts(): Scripts {
  const names: ScriptName[] = [
    'append',
    'audiencePrune',
    'audienceSetIf',
    'broadcastCampaign',
    'broadcastCreate',
    'broadcastStatus',
    'commit',
    'commitDeliveryMark',
    'forgetUser',
    'inboxAttempt',
    'inboxSetAside',
    'leaseAcquire',
    'leaseRenew',
    'leaseRelease',
    'heartbeat',
    'outboxAck',
    'rateLimit',
    'timerSet',
    'timersFire',
    'unmatchedCount',
    'webhookClaim',
    'webhookEnqueue',
    'webhookSettle',
  ];
  return Object.fromEntries(names.map((n) => [n, loadScript(n)])) as Scripts;
}

/** What append() waits for after writing: `replicas` acknowledgements within `timeoutMs` (none when 0). */
interface Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
}

class RedisInbox implements InboxStore {
  private blocking: Promise<RedisConnection> | undefined;
  private readonly perPartition: PartitionReads | undefined;

  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly scripts: Scripts,
    private readonly dedupeTtlSeconds: number,
    private readonly logger: Logger,
    private readonly durability: Durability,
  ) {
    this.perPartition = conn.isCluster
      ? new PartitionReads(
          conn,
          logger,
          (p) => keys.inbox(p),
          (p, key, reply) => decodeReply(reply, key, p),
        )
      : undefined;
  }

  async append(requests: readonly AppendRequest[]): Promise<AppendOutcome> {
    const byPartition = new Map<number, AppendRequest[]>();
    for (const r of requests) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
    // One script call per partition: a partition's keys share a slot; partitions may not.
    const counts = await Promise.all(
      [...byPartition].map(([p, rs]) =>
        this.conn.run(
          this.scripts.append,
          [this.keys.inbox(p), ...rs.map((r) => this.keys.dedupe(p, r.dedupeKey))],
          [String(this.dedupeTtlSeconds), ...rs.map((r) => encodeInboxRecord(r.record))],
        ),
      ),
    );
    const appended = counts.reduce<number>((sum, c) => sum + Number(c), 0);
    // Duplicates wait too: the first delivery's write may be the one not yet on a replica.
    if (this.durability.replicas > 0) await Promise.all([...byPartition.keys()].map((p) => this.replicated(p)));
    return { appended, duplicates: requests.length - appended };
  }

  /** Waits until enough replicas hold what this connection wrote to the partition's node. */
  private async replicated(partition: number): Promise<void> {
    const { replicas, timeoutMs } = this.durability;
    const acked = await this.conn.waitReplicas(this.keys.inbox(partition), replicas, timeoutMs);
    if (acked < replicas)
      throw new StoreUnavailableError(`inbox append (${acked} of ${replicas} replicas acknowledged within ${timeoutMs} ms)`);
  }

  async readNew(after: ReadonlyMap<number, string>, countPerPartition: number, blockMs: number): Promise<InboxRead[]> {
    if (after.size === 0) return [];
    // A cluster refuses one XREAD over many slots: there each partition is read alone (partitionReads.ts).
    if (this.perPartition) return this.perPartition.read(after, countPerPartition, blockMs);
    // XREAD BLOCK holds its connection, so it gets one of its own.
    this.blocking ??= this.conn.duplicate(this.logger, 'inbox-read');
    const conn = await this.blocking;
    const partitions = [...after.keys()];
    const byKey = new Map(partitions.map((p) => [this.keys.inbox(p), p]));
    const args = ['XREAD', 'COUNT', String(countPerPartition), 'BLOCK', String(blockMs), 'STREAMS', ...byKey.keys()];
    args.push(...partitions.map((p) => after.get(p) ?? '0-0'));
    const reply = await conn.send('inbox read', args, blockMs);
    return streamsOf(reply).flatMap(([key, entries]) => decodeEntries(entries, key, byKey.get(key) ?? -1));
  }

  async cursor(partition: number): Promise<string> {
    const reply = await this.conn.send('inbox cursor', ['GET', this.keys.cursor(partition)]);
    return typeof reply === 'string' ? reply : '0-0';
  }

  async pendingCounts(partitions: readonly number[]): Promise<number[]> {
    // node-redis pipelines concurrent commands on one connection: one round trip for all.
    const replies = await Promise.all(partitions.map((p) => this.conn.send('inbox lag', ['XLEN', this.keys.inbox(p)])));
    return replies.map(Number);
  }

  async noteAttempt(partition: number, itemId: string): Promise<number> {
    return Number(await this.conn.run(this.scripts.inboxAttempt, [this.keys.inboxAttempt(partition)], [itemId]));
  }

  async setAside(
    partition: number,
    leaseToken: string,
    itemId: string,
    reason: SetAsideReason,
    attempts: number,
    detail: string,
  ): Promise<SetAsideOutcome> {
    const p = partition;
    const keys = [
      this.keys.lease(p),
      this.keys.cursor(p),
      this.keys.inbox(p),
      this.keys.inboxSetAside(p),
      this.keys.inboxAttempt(p),
    ];
    const args = [leaseToken, itemId, reason, String(attempts), detail, String(SET_ASIDE_KEPT)];
    const reply = await this.conn.run(this.scripts.inboxSetAside, keys, args);
    if (reply === 'set_aside' || reply === 'already_applied' || reply === 'lease_lost') return reply;
    throw new Error(`inboxSetAside script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisStore.ts?`);
  }

  async setAsideItems(partition: number, count: number): Promise<SetAsideEntry[]> {
    const key = this.keys.inboxSetAside(partition);
    const reply = await this.conn.send('set-aside read', ['XREVRANGE', key, '+', '-', 'COUNT', String(count)]);
    return parseEntries(reply, key).map(({ fields }) => decodeSetAside(fields, `${key}`));
  }

  async close(): Promise<void> {
    await this.perPartition?.close();
    if (this.blocking) await (await this.blocking.catch(() => undefined))?.close();
  }
}

const decodeEntries = (entries: unknown, key: string, partition: number): InboxRead[] =>
  parseEntries(entries, key).map(({ id, fields }) => decodeInboxRead(id, partition, fields.r ?? '', `${key} ${id}`));

/** One partition's XREAD reply (null when it timed out empty). */
const decodeReply = (reply: unknown, key: string, partition: number): InboxRead[] =>
  streamsOf(reply).flatMap(([k, entries]) => (k === key ? decodeEntries(entries, key, partition) : []));

class RedisLeases implements LeaseStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly scripts: Scripts,
  ) {}

  async heartbeat(workerId: string, ttlMs: number): Promise<number> {
    return Number(await this.conn.run(this.scripts.heartbeat, [this.keys.workers()], [workerId, String(ttlMs)]));
  }

  async leave(workerId: string): Promise<void> {
    await this.conn.send('worker leave', ['ZREM', this.keys.workers(), workerId]);
  }

  async acquire(partition: number, workerId: string, ttlMs: number): Promise<string | null> {
    return (await this.acquireNoting(partition, workerId, ttlMs))?.token ?? null;
  }

  async acquireNoting(partition: number, workerId: string, ttlMs: number): Promise<LeaseGrant | null> {
    const keys = [this.keys.lease(partition), this.keys.leaseEpoch(partition), this.keys.leaseOpen(partition)];
    const reply = await this.conn.run(this.scripts.leaseAcquire, keys, [workerId, String(ttlMs)]);
    if (!Array.isArray(reply)) return null;
    const [token, unreleased] = reply as unknown[];
    if (typeof token !== 'string')
      throw new Error(`leaseAcquire script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisStore.ts?`);
    return { token, previous: Number(unreleased) === 1 ? 'not_released' : 'released' };
  }

  async renew(partition: number, token: string, ttlMs: number): Promise<boolean> {
    return Number(await this.conn.run(this.scripts.leaseRenew, [this.keys.lease(partition)], [token, String(ttlMs)])) === 1;
  }

  async release(partition: number, token: string): Promise<boolean> {
    const keys = [this.keys.lease(partition), this.keys.leaseOpen(partition)];
    return Number(await this.conn.run(this.scripts.leaseRelease, keys, [token])) === 1;
  }
}

class RedisStates implements StateStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly scripts: Scripts,
  ) {}

  async load(partition: number, userKey: string): Promise<StoredState> {
    const key = this.keys.state(partition, userKey);
    const reply = await this.conn.send('state load', ['HMGET', key, 'v', 's']);
    const [v, s] = Array.isArray(reply) ? reply : [];
    if (typeof v !== 'string' || typeof s !== 'string') return { version: 0, data: null };
    return { version: Number(v), data: decodeStateData(s, key) };
  }

  async commit(c: CommitRequest): Promise<CommitOutcome> {
    const p = c.partition;
    const keys = [
      this.keys.lease(p),
      this.keys.cursor(p),
      this.keys.inbox(p),
      this.keys.outbox(p),
      this.keys.threads(p),
      this.keys.audience(p),
      this.keys.broadcastStats(p),
    ];
    const args = [c.leaseToken, String(c.items.length)];
    // Loops, not spread maps: this runs once per commit on the hot path (no intermediate arrays).
    for (const item of c.items) keys.push(this.keys.state(p, item.userKey));
    for (const item of c.items) keys.push(this.keys.delivery(p, item.userKey));
    for (const item of c.items) {
      const mark = item.thread === undefined ? '' : item.thread === null ? '-' : JSON.stringify(item.thread);
      args.push(
        item.itemId,
        item.userKey,
        String(item.expectedVersion),
        item.writeState === false ? '' : JSON.stringify(item.data),
        mark,
        item.audience === undefined ? '' : item.audience === null ? '-' : item.audience,
        item.facts ?? '',
        item.expireAt === undefined ? '' : String(Math.floor(item.expireAt)),
        String(item.effects.length),
      );
      for (const e of item.effects) args.push(String(e.v), JSON.stringify(e.body));
      const stats = item.stats ?? [];
      args.push(String(stats.length));
      for (const stat of stats) args.push(stat);
    }
    const reply = await this.conn.run(this.scripts.commit, keys, args);
    const [type, ...rest] = Array.isArray(reply) ? reply : [];
    if (type === 'committed') return { type, applied: rest.map((r) => Number(r) === 1) };
    if (type === 'stale_version') return { type, index: Number(rest[0]) - 1, currentVersion: Number(rest[1]) };
    if (type === 'lease_lost') return { type };
    throw new Error(`commit script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisStore.ts?`);
  }

  async outboxCursor(partition: number): Promise<string> {
    const reply = await this.conn.send('outbox cursor', ['GET', this.keys.outboxCursor(partition)]);
    return typeof reply === 'string' ? reply : '0-0';
  }

  async outboxBacklog(partition: number): Promise<number> {
    return Number(await this.conn.send('outbox backlog', ['XLEN', this.keys.outbox(partition)]));
  }

  async ackOutbox(
    partition: number,
    leaseToken: string,
    done: readonly OutboxDone[],
    cursor?: OutboxCursorMove,
  ): Promise<boolean> {
    const p = partition;
    const keys = [this.keys.lease(p), this.keys.outboxCursor(p), this.keys.outbox(p), this.keys.broadcastStats(p)];
    const to = cursor === 'stay' ? '' : (cursor?.to ?? done.at(-1)?.id ?? '');
    const args = [leaseToken, to, String(done.length), ...done.flatMap((d) => [d.id, d.stat ?? ''])];
    return Number(await this.conn.run(this.scripts.outboxAck, keys, args)) === 1;
  }

  async sendFacts(partition: number, userKey: string): Promise<SendFactsRow> {
    // Sent together: one round trip (the client pipelines commands issued in the same tick).
    const [facts, delivery] = await Promise.all([
      this.conn.send('send facts', ['HGET', this.keys.state(partition, userKey), 'f']),
      this.deliveryFacts(partition, userKey),
    ]);
    return { facts: typeof facts === 'string' ? facts : null, delivery };
  }

  async deliveryFacts(partition: number, userKey: string): Promise<DeliveryFacts> {
    const reply = await this.conn.send('delivery facts', ['HGET', this.keys.delivery(partition, userKey), 'unreachable']);
    return typeof reply === 'string' ? { unreachableAt: Number(reply) } : {};
  }

  async markUnreachable(partition: number, userKey: string, at: number): Promise<void> {
    const keys = [this.keys.delivery(partition, userKey), this.keys.state(partition, userKey)];
    await this.conn.run(this.scripts.commitDeliveryMark, keys, ['unreachable', String(at)]);
  }

  async threads(partition: number): Promise<ThreadEntry[]> {
    const key = this.keys.threads(partition);
    const reply = await this.conn.send('thread list', ['HGETALL', key]);
    const flat = Array.isArray(reply) ? reply.map(String) : [];
    const entries: ThreadEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      entries.push({ userKey: flat[i] as string, mark: decodeThreadMark(flat[i + 1] as string, `${key} ${flat[i]}`) });
    return entries;
  }

  async forget(
    partition: number,
    leaseToken: string,
    itemId: string,
    userKey: string,
    tombstone: Tombstone,
  ): Promise<ForgetOutcome> {
    const p = partition;
    const keys = [
      this.keys.lease(p),
      this.keys.cursor(p),
      this.keys.inbox(p),
      this.keys.state(p, userKey),
      this.keys.delivery(p, userKey),
      this.keys.threads(p),
      this.keys.audience(p),
      this.keys.outbox(p),
      this.keys.timers(p),
      this.keys.timerRecords(p),
      this.keys.inboxSetAside(p),
      this.keys.tombstones(p),
    ];
    const args = [leaseToken, itemId, userKey, psidOf(userKey), tombstone.id, String(tombstone.deletedAt)];
    const reply = await this.conn.run(this.scripts.forgetUser, keys, args);
    if (reply === 'forgotten' || reply === 'already_applied' || reply === 'lease_lost') return reply;
    throw new Error(`forgetUser script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisStore.ts?`);
  }

  async forgottenAt(partition: number, userKey: string): Promise<number | null> {
    const reply = await this.conn.send('tombstone', ['HGET', this.keys.tombstones(partition), tombstoneIdOf(userKey)]);
    return typeof reply === 'string' ? Number(reply) : null;
  }

  async userOutbox(partition: number, userKey: string): Promise<OutboxEntry[]> {
    // One pass over the partition's outbox, a page at a time (an export, not a hot path).
    const found: OutboxEntry[] = [];
    for (let after = '0-0'; ;) {
      const page = await this.readOutbox(partition, after, 1000);
      found.push(...page.filter((e) => e.userKey === userKey));
      if (page.length < 1000) return found;
      after = page[page.length - 1]?.id ?? after;
    }
  }

  async readOutbox(partition: number, afterId: string, count: number): Promise<OutboxEntry[]> {
    const key = this.keys.outbox(partition);
    const reply = await this.conn.send('outbox read', ['XRANGE', key, `(${afterId}`, '+', 'COUNT', String(count)]);
    return parseEntries(reply, key).map(({ id, fields }) => ({
      id,
      userKey: fields.u ?? '',
      itemId: fields.i ?? '',
      effect: decodeStoredEffect(fields.v, fields.e ?? '', `${key} ${id}`),
    }));
  }
}

/** One timersFire call for the partitions given (one partition each on a cluster): per partition, timers moved or -1. */
async function fireTimers(
  conn: RedisConnection,
  keys: Keys,
  scripts: Scripts,
  leases: readonly HeldPartition[],
  now: number,
  limit: number,
): Promise<number[]> {
  const scriptKeys: string[] = [];
  const args = [String(now), String(limit)];
  for (const { partition: p, leaseToken } of leases) {
    scriptKeys.push(keys.lease(p), keys.timers(p), keys.timerRecords(p), keys.inbox(p));
    args.push(leaseToken);
  }
  const reply = await conn.run(scripts.timersFire, scriptKeys, args);
  if (!Array.isArray(reply) || reply.length !== leases.length)
    throw new Error(`timersFire script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisStore.ts?`);
  return reply.map(Number);
}

export async function createRedisStore(options: RedisStoreOptions): Promise<OwnedStore> {
  const target = { url: options.url, ...(options.clusterNodes ? { clusterNodes: options.clusterNodes } : {}) };
  const conn = options.connection ?? (await RedisConnection.open(target, options.timeoutMs, options.logger, 'main'));
  const keys = keysFor(options.keyPrefix);
  const scripts = loadScripts();
  const durability = { replicas: options.waitReplicas ?? 0, timeoutMs: options.waitTimeoutMs ?? 1000 };
  const inbox = new RedisInbox(conn, keys, scripts, options.dedupeTtlSeconds, options.logger, durability);
  // A shared connection outlives the store: a closed store must still say it cannot serve (readiness).
  let closed = false;
  return {
    kind: 'redis',
    inbox,
    leases: new RedisLeases(conn, keys, scripts),
    states: new RedisStates(conn, keys, scripts),
    rateLimits: new RedisRateLimits(conn, keys, scripts.rateLimit),
    broadcasts: new RedisBroadcasts(conn, keys, scripts),
    webhooks: new RedisWebhooks(conn, keys, scripts),
    unmatched: new RedisUnmatched(conn, keys, scripts.unmatchedCount),
    audience: {
      cards: async (p, cursor, count) => {
        const key = keys.audience(p);
        // HSCAN, not HGETALL: a partition's index may hold many thousands of users; a walk holds one chunk.
        const reply = await conn.send('audience scan', ['HSCAN', key, cursor, 'COUNT', String(count)]);
        const [next, flat] = Array.isArray(reply) ? reply : [];
        if (typeof next !== 'string' || !Array.isArray(flat))
          throw new Error(`HSCAN ${key} answered ${JSON.stringify(reply)}; expected [cursor, [field, value, …]]`);
        const items = flat.map(String);
        const cards = [];
        for (let i = 0; i + 1 < items.length; i += 2) cards.push({ userKey: items[i] as string, json: items[i + 1] as string });
        return { cards, next: String(next) === '0' ? null : String(next) };
      },
      users: async (cursor, count) => {
        const page = await scanStep(conn, 'state scan', cursor, ['MATCH', keys.statePattern(), 'COUNT', String(count)]);
        const users = page.keys.flatMap((k) => {
          const parsed = keys.parseState(k);
          return parsed ? [parsed] : [];
        });
        return { users, next: page.next };
      },
      prune: async (p, userKey) =>
        Number(await conn.run(scripts.audiencePrune, [keys.state(p, userKey), keys.audience(p)], [userKey])) === 1,
      setCardIf: async (p, userKey, version, json) =>
        Number(
          await conn.run(scripts.audienceSetIf, [keys.state(p, userKey), keys.audience(p)], [String(version), userKey, json]),
        ) === 1,
    },
    timers: {
      set: async (p, slot, dueAt, record) => {
        await conn.run(
          scripts.timerSet,
          [keys.timers(p), keys.timerRecords(p)],
          [slot, String(dueAt), encodeInboxRecord(record)],
        );
      },
      clear: async (p, slot) => {
        await conn.run(scripts.timerSet, [keys.timers(p), keys.timerRecords(p)], [slot, '']);
      },
      fireDue: async (p, token, now, limit) =>
        (await fireTimers(conn, keys, scripts, [{ partition: p, leaseToken: token }], now, limit))[0] ?? -1,
      fireDueMany: async (leases, now, limit) => {
        // A cluster runs a script on one hash slot: there one call per partition, sent in one round trip.
        if (!conn.isCluster) return fireTimers(conn, keys, scripts, leases, now, limit);
        const each = await Promise.all(leases.map((l) => fireTimers(conn, keys, scripts, [l], now, limit)));
        return each.map((moved) => moved[0] ?? -1);
      },
      pending: async (p, slotPrefix) => {
        const reply = await conn.send('timers read', ['ZRANGE', keys.timers(p), '0', '-1', 'WITHSCORES']);
        const flat = Array.isArray(reply) ? reply.map(String) : [];
        const slots: Array<{ slot: string; dueAt: number }> = [];
        for (let i = 0; i + 1 < flat.length; i += 2)
          if ((flat[i] as string).startsWith(slotPrefix)) slots.push({ slot: flat[i] as string, dueAt: Number(flat[i + 1]) });
        if (slots.length === 0) return [];
        const records = await conn.send('timer records', ['HMGET', keys.timerRecords(p), ...slots.map((t) => t.slot)]);
        const texts = Array.isArray(records) ? records : [];
        return slots.flatMap(({ slot, dueAt }, i): PendingTimer[] => {
          const text = texts[i];
          if (typeof text !== 'string') return [];
          const decoded = decodeInboxRecord(text, `${keys.timerRecords(p)} ${slot}`);
          return decoded.type === 'record' ? [{ slot, dueAt, record: decoded.record }] : [];
        });
      },
    },
    claimOwner: (pageId, claim) => claimRedisOwner(conn, keys, options.keyPrefix, pageId, claim),
    // Every master: on a cluster, one that is down takes its partitions down with it.
    ping: async () => {
      if (closed) throw new StoreUnavailableError('ping (this store is closed)');
      await Promise.all(conn.masters().map((m) => conn.sendTo(m, 'ping', ['PING'])));
    },
    close: async () => {
      closed = true;
      await inbox.close();
      if (!options.connection) await conn.close();
    },
  };
}
