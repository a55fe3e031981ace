import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type {
  AudienceStore,
  AppendOutcome,
  AppendRequest,
  CommitOutcome,
  CommitRequest,
  DeliveryFacts,
  ForgetOutcome,
  InboxRead,
  InboxStore,
  LeaseGrant,
  LeaseStore,
  OutboxCursorMove,
  OutboxDone,
  SendFactsRow,
  OutboxEntry,
  SetAsideEntry,
  SetAsideOutcome,
  SetAsideReason,
  StateStore,
  ClaimOptions,
  OwnedStore,
  OwnerClaim,
  StoredState,
  ThreadEntry,
  TimerStore,
  Tombstone,
} from '../ports';
import { SET_ASIDE_KEPT } from '../ports';
import { tombstoneIdOf } from '../keys';
import { psidOf } from '../partitionOf';
import {
  decodeInboxRead,
  decodeInboxRecord,
  decodeStateData,
  decodeStoredEffect,
  decodeThreadMark,
  encodeInboxRecord,
  streamIdAfter,
} from '../records';
import { MemoryBroadcasts } from './memoryBroadcasts';
import { MemoryWebhooks } from './memoryWebhooks';
import { MemoryUnmatched } from './memoryUnmatched';
import { MemoryRateLimits } from './memoryRateLimits';

export interface MemoryStoreOptions {
  readonly dedupeTtlSeconds: number;
  /** Injected so tests can move time (dedupe, lease expiry, rate limits) without waiting. */
  readonly now?: () => number;
}

interface StreamEntry {
  readonly id: string;
  readonly json: string;
}

/** An outbox entry, with the fields Redis keeps (u, i, v, e), as one JSON row. */
const outboxRowSchema = z.object({ u: z.string(), i: z.string(), v: z.string(), e: z.string() });

/** A single-process stream: ids `<ms>-<seq>` that only grow, like Redis's. */
class MemoryStream {
  readonly entries: StreamEntry[] = [];
  private last: [number, number] = [0, 0];

  add(ms: number, json: string): string {
    const [lastMs, lastSeq] = this.last;
    this.last = ms > lastMs ? [ms, 0] : [lastMs, lastSeq + 1];
    const id = `${this.last[0]}-${this.last[1]}`;
    this.entries.push({ id, json });
    return id;
  }

  after(afterId: string, count: number): StreamEntry[] {
    return this.entries.filter((e) => streamIdAfter(e.id, afterId)).slice(0, count);
  }

  /** Removes the entry; false when it was not there (as Redis XDEL answers 0). */
  delete(id: string): boolean {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i >= 0) this.entries.splice(i, 1);
    return i >= 0;
  }
}

/**
 * The embedded store: the same contract as Redis in one process, for the demo and quick trials.
 * Data is copied through JSON on every write and read so callers never share objects with it,
 * exactly as with Redis. Nothing survives a restart, which the service announces at start-up.
 */
class MemoryStore implements OwnedStore, InboxStore, LeaseStore, StateStore {
  readonly kind = 'memory';
  readonly inbox = this;
  readonly leases = this;
  readonly states = this;
  readonly rateLimits = new MemoryRateLimits(() => this.now());
  readonly broadcasts = new MemoryBroadcasts();
  readonly webhooks = new MemoryWebhooks();
  readonly unmatched = new MemoryUnmatched();
  /** Per partition: slot → due time and the inbox record (JSON) it fires. */
  private readonly timerSets = new Map<number, Map<string, { at: number; json: string }>>();
  private timerSet(p: number): Map<string, { at: number; json: string }> {
    const set = this.timerSets.get(p) ?? new Map<string, { at: number; json: string }>();
    this.timerSets.set(p, set);
    return set;
  }
  readonly timers: TimerStore = {
    set: async (p, slot, dueAt, record) => {
      this.timerSet(p).set(slot, { at: dueAt, json: encodeInboxRecord(record) });
    },
    clear: async (p, slot) => {
      this.timerSet(p).delete(slot);
    },
    fireDue: async (p, token, now, limit) => {
      if (this.holder(p) !== token) return -1;
      // Redis orders equal scores by member; so does this (a stable order for the tests).
      const due = [...this.timerSet(p)]
        .filter(([, t]) => t.at <= now)
        .sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1))
        .slice(0, limit);
      for (const [slot, { json }] of due) {
        this.timerSet(p).delete(slot);
        this.stream(this.streams, p).add(this.now(), json);
      }
      if (due.length > 0) this.appended.emit('append');
      return due.length;
    },
    fireDueMany: (leases, now, limit) =>
      Promise.all(leases.map((l) => this.timers.fireDue(l.partition, l.leaseToken, now, limit))),
    pending: async (p, slotPrefix) =>
      [...this.timerSet(p)]
        .filter(([slot]) => slot.startsWith(slotPrefix))
        .sort((a, b) => a[1].at - b[1].at || (a[0] < b[0] ? -1 : 1))
        .flatMap(([slot, t]) => {
          const decoded = decodeInboxRecord(t.json, `memory timer ${slot}`);
          return decoded.type === 'record' ? [{ slot, dueAt: t.at, record: decoded.record }] : [];
        }),
  };
  private readonly streams = new Map<number, MemoryStream>();
  private readonly outboxes = new Map<number, MemoryStream>();
  private readonly cursors = new Map<number, string>();
  private readonly attempts = new Map<number, { id: string; n: number }>();
  private readonly setAsideRows = new Map<number, SetAsideEntry[]>();
  private readonly outboxCursors = new Map<number, string>();
  /** "partition:userKey" → the user's thread-list entry (JSON, like Redis keeps it). */
  private readonly threadMarks = new Map<string, { userKey: string; json: string }>();
  /** Per partition: userKey → audience card JSON, like the Redis hash (keys.ts `audience`). */
  private readonly audienceCards = new Map<number, Map<string, string>>();
  private audienceOf(p: number): Map<string, string> {
    const cards = this.audienceCards.get(p) ?? new Map<string, string>();
    this.audienceCards.set(p, cards);
    return cards;
  }
  readonly audience: AudienceStore = {
    // The cursor is the last user key returned (in key order), so a walk sees each card once.
    cards: async (p, cursor, count) => {
      const after = cursor === '0' ? undefined : cursor.slice(2);
      const keys = [...this.audienceOf(p).keys()].filter((k) => after === undefined || k > after).sort();
      const chunk = keys.slice(0, Math.max(1, count));
      const cards = chunk.map((userKey) => ({ userKey, json: this.audienceOf(p).get(userKey) as string }));
      const last = chunk[chunk.length - 1];
      return { cards, next: last === undefined || keys.length <= chunk.length ? null : `k:${last}` };
    },
    users: async () => {
      for (const rowKey of [...this.stateRows.keys()]) this.forgetIfExpired(rowKey);
      const users = [...this.stateRows.keys()].map((rowKey) => {
        const at = rowKey.indexOf(':');
        return { partition: Number(rowKey.slice(0, at)), userKey: rowKey.slice(at + 1) };
      });
      return { users, next: null };
    },
    prune: async (p, userKey) => {
      this.forgetIfExpired(`${p}:${userKey}`);
      return !this.stateRows.has(`${p}:${userKey}`) && this.audienceOf(p).delete(userKey);
    },
    setCardIf: async (p, userKey, version, json) => {
      this.forgetIfExpired(`${p}:${userKey}`);
      if (this.stateRows.get(`${p}:${userKey}`)?.version !== version) return false;
      this.audienceOf(p).set(userKey, json);
      return true;
    },
  };
  private readonly unreachable = new Map<string, number>();
  private readonly dedupe = new Map<string, number>();
  private readonly leaseHolders = new Map<number, { token: string; expiresAt: number }>();
  /** Per partition, the last lease token not released (see LeaseStore.acquireNoting). */
  private readonly openLeases = new Map<number, string>();
  private readonly epochs = new Map<number, number>();
  private readonly workers = new Map<string, number>();
  private readonly stateRows = new Map<string, { version: number; json: string; facts?: string }>();
  /** "partition:userKey" → when the user's state and delivery facts are forgotten (CommitItem.expireAt). */
  private readonly expiries = new Map<string, number>();
  private readonly appended = new EventEmitter().setMaxListeners(0);
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  private stream(map: Map<number, MemoryStream>, p: number): MemoryStream {
    let s = map.get(p);
    if (!s) map.set(p, (s = new MemoryStream()));
    return s;
  }

  async append(requests: readonly AppendRequest[]): Promise<AppendOutcome> {
    let appended = 0;
    const now = this.now();
    for (const r of requests) {
      const key = `${r.partition}:${r.dedupeKey}`;
      if ((this.dedupe.get(key) ?? 0) > now) continue;
      this.dedupe.set(key, now + this.options.dedupeTtlSeconds * 1000);
      this.stream(this.streams, r.partition).add(now, encodeInboxRecord(r.record));
      appended += 1;
    }
    if (appended > 0) this.appended.emit('append');
    return { appended, duplicates: requests.length - appended };
  }

  async readNew(after: ReadonlyMap<number, string>, countPerPartition: number, blockMs: number): Promise<InboxRead[]> {
    const collect = () =>
      [...after].flatMap(([partition, id]) =>
        this.stream(this.streams, partition)
          .after(id, countPerPartition)
          .map((e) => decodeInboxRead(e.id, partition, e.json, `memory inbox ${partition} ${e.id}`)),
      );
    const found = collect();
    if (found.length > 0 || after.size === 0 || this.closed) return found;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, blockMs);
      this.appended.on('append', done);
    });
    return collect();
  }

  async cursor(partition: number): Promise<string> {
    return this.cursors.get(partition) ?? '0-0';
  }

  async pendingCounts(partitions: readonly number[]): Promise<number[]> {
    return partitions.map((p) => this.stream(this.streams, p).entries.length);
  }

  async noteAttempt(partition: number, itemId: string): Promise<number> {
    const last = this.attempts.get(partition);
    const n = last?.id === itemId ? last.n + 1 : 1;
    this.attempts.set(partition, { id: itemId, n });
    return n;
  }

  async setAside(
    partition: number,
    leaseToken: string,
    itemId: string,
    reason: SetAsideReason,
    attempts: number,
    detail: string,
  ): Promise<SetAsideOutcome> {
    if (this.holder(partition) !== leaseToken) return 'lease_lost';
    if (!streamIdAfter(itemId, this.cursors.get(partition) ?? '0-0')) return 'already_applied';
    const inbox = this.stream(this.streams, partition);
    const raw = inbox.entries.find((e) => e.id === itemId)?.json ?? '';
    const kept = this.setAsideRows.get(partition) ?? [];
    kept.unshift({ itemId, reason, attempts, detail, raw });
    kept.length = Math.min(kept.length, SET_ASIDE_KEPT);
    this.setAsideRows.set(partition, kept);
    this.cursors.set(partition, itemId);
    inbox.delete(itemId);
    this.attempts.delete(partition);
    return 'set_aside';
  }

  async setAsideItems(partition: number, count: number): Promise<SetAsideEntry[]> {
    return (this.setAsideRows.get(partition) ?? []).slice(0, count).map((e) => ({ ...e }));
  }

  async heartbeat(workerId: string, ttlMs: number): Promise<number> {
    const now = this.now();
    for (const [id, expiresAt] of this.workers) if (expiresAt <= now) this.workers.delete(id);
    this.workers.set(workerId, now + ttlMs);
    return this.workers.size;
  }

  async leave(workerId: string): Promise<void> {
    this.workers.delete(workerId);
  }

  private holder(partition: number): string | undefined {
    const lease = this.leaseHolders.get(partition);
    return lease && lease.expiresAt > this.now() ? lease.token : undefined;
  }

  async acquire(partition: number, workerId: string, ttlMs: number): Promise<string | null> {
    return (await this.acquireNoting(partition, workerId, ttlMs))?.token ?? null;
  }

  async acquireNoting(partition: number, workerId: string, ttlMs: number): Promise<LeaseGrant | null> {
    if (this.holder(partition) !== undefined) return null;
    const epoch = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, epoch);
    const token = `${workerId}#${epoch}`;
    this.leaseHolders.set(partition, { token, expiresAt: this.now() + ttlMs });
    const previous = this.openLeases.has(partition) ? 'not_released' : 'released';
    this.openLeases.set(partition, token);
    return { token, previous };
  }

  async renew(partition: number, token: string, ttlMs: number): Promise<boolean> {
    if (this.holder(partition) !== token) return false;
    this.leaseHolders.set(partition, { token, expiresAt: this.now() + ttlMs });
    return true;
  }

  async release(partition: number, token: string): Promise<boolean> {
    if (this.holder(partition) !== token) return false;
    this.leaseHolders.delete(partition);
    if (this.openLeases.get(partition) === token) this.openLeases.delete(partition);
    return true;
  }

  /** Redis drops an expired key on its own; here a user past their expiry is dropped when next touched. */
  private forgetIfExpired(rowKey: string): void {
    const at = this.expiries.get(rowKey);
    if (at === undefined || at > this.now()) return;
    this.expiries.delete(rowKey);
    this.stateRows.delete(rowKey);
    this.unreachable.delete(rowKey);
  }

  async load(partition: number, userKey: string): Promise<StoredState> {
    this.forgetIfExpired(`${partition}:${userKey}`);
    const row = this.stateRows.get(`${partition}:${userKey}`);
    return row
      ? { version: row.version, data: decodeStateData(row.json, `memory state ${userKey}`) }
      : { version: 0, data: null };
  }

  async commit(c: CommitRequest): Promise<CommitOutcome> {
    if (this.holder(c.partition) !== c.leaseToken) return { type: 'lease_lost' };
    const applied: boolean[] = [];
    for (const [index, item] of c.items.entries()) {
      if (!streamIdAfter(item.itemId, this.cursors.get(c.partition) ?? '0-0')) {
        applied.push(false);
        continue;
      }
      const rowKey = `${c.partition}:${item.userKey}`;
      this.forgetIfExpired(rowKey);
      const current = this.stateRows.get(rowKey)?.version ?? 0;
      if (current !== item.expectedVersion) return { type: 'stale_version', index, currentVersion: current };
      if (item.writeState !== false) {
        const facts = item.facts === undefined ? {} : { facts: item.facts };
        this.stateRows.set(rowKey, { version: current + 1, json: JSON.stringify(item.data), ...facts });
        if (item.expireAt === undefined) this.expiries.delete(rowKey);
        else this.expiries.set(rowKey, item.expireAt);
        this.forgetIfExpired(rowKey); // an expiry already past forgets the user at once, as in Redis
      }
      if (item.thread) this.threadMarks.set(rowKey, { userKey: item.userKey, json: JSON.stringify(item.thread) });
      else if (item.thread === null) this.threadMarks.delete(rowKey);
      if (typeof item.audience === 'string') this.audienceOf(c.partition).set(item.userKey, item.audience);
      else if (item.audience === null) this.audienceOf(c.partition).delete(item.userKey);
      const outbox = this.stream(this.outboxes, c.partition);
      for (const { v, body } of item.effects)
        outbox.add(this.now(), JSON.stringify({ u: item.userKey, i: item.itemId, v: String(v), e: JSON.stringify(body) }));
      this.broadcasts.count(c.partition, item.stats ?? []);
      this.cursors.set(c.partition, item.itemId);
      this.stream(this.streams, c.partition).delete(item.itemId);
      applied.push(true);
    }
    return { type: 'committed', applied };
  }

  async outboxCursor(partition: number): Promise<string> {
    return this.outboxCursors.get(partition) ?? '0-0';
  }

  async outboxBacklog(partition: number): Promise<number> {
    return this.stream(this.outboxes, partition).entries.length;
  }

  async ackOutbox(
    partition: number,
    leaseToken: string,
    done: readonly OutboxDone[],
    cursor?: OutboxCursorMove,
  ): Promise<boolean> {
    if (this.holder(partition) !== leaseToken) return false;
    const to = cursor === 'stay' ? undefined : (cursor?.to ?? done.at(-1)?.id);
    if (to !== undefined) this.outboxCursors.set(partition, to);
    for (const { id, stat } of done) {
      // Counted only when the entry was still there: an ack retried after a lost answer counts once.
      const removed = this.stream(this.outboxes, partition).delete(id);
      if (stat !== undefined && stat !== '' && removed) this.broadcasts.count(partition, [stat]);
    }
    return true;
  }

  async sendFacts(partition: number, userKey: string): Promise<SendFactsRow> {
    this.forgetIfExpired(`${partition}:${userKey}`);
    const facts = this.stateRows.get(`${partition}:${userKey}`)?.facts ?? null;
    return { facts, delivery: await this.deliveryFacts(partition, userKey) };
  }

  async deliveryFacts(partition: number, userKey: string): Promise<DeliveryFacts> {
    this.forgetIfExpired(`${partition}:${userKey}`);
    const at = this.unreachable.get(`${partition}:${userKey}`);
    return at === undefined ? {} : { unreachableAt: at };
  }

  async markUnreachable(partition: number, userKey: string, at: number): Promise<void> {
    this.forgetIfExpired(`${partition}:${userKey}`);
    this.unreachable.set(`${partition}:${userKey}`, at);
  }

  async threads(partition: number): Promise<ThreadEntry[]> {
    return [...this.threadMarks]
      .filter(([rowKey]) => rowKey.startsWith(`${partition}:`))
      .map(([, { userKey, json }]) => ({ userKey, mark: decodeThreadMark(json, `memory thread ${userKey}`) }));
  }

  async readOutbox(partition: number, afterId: string, count: number): Promise<OutboxEntry[]> {
    return this.stream(this.outboxes, partition)
      .after(afterId, count)
      .map((e) => {
        const row = outboxRowSchema.parse(JSON.parse(e.json));
        return { id: e.id, userKey: row.u, itemId: row.i, effect: decodeStoredEffect(row.v, row.e, `memory outbox ${e.id}`) };
      });
  }

  /** Per partition: tombstone id (a digest of the user key) → when the user was erased. */
  private readonly tombstones = new Map<number, Map<string, number>>();

  async forget(
    partition: number,
    leaseToken: string,
    itemId: string,
    userKey: string,
    tombstone: Tombstone,
  ): Promise<ForgetOutcome> {
    if (this.holder(partition) !== leaseToken) return 'lease_lost';
    if (!streamIdAfter(itemId, this.cursors.get(partition) ?? '0-0')) return 'already_applied';
    const rowKey = `${partition}:${userKey}`;
    for (const map of [this.stateRows, this.unreachable, this.expiries, this.threadMarks]) map.delete(rowKey);
    this.audienceCards.get(partition)?.delete(userKey);
    const outbox = this.stream(this.outboxes, partition);
    const theirs = (e: StreamEntry) => outboxRowSchema.parse(JSON.parse(e.json)).u === userKey;
    for (const e of outbox.entries.filter(theirs)) outbox.delete(e.id);
    for (const slot of [...this.timerSet(partition).keys()])
      if (slot.startsWith(`${userKey}|`)) this.timerSet(partition).delete(slot);
    const psid = psidOf(userKey);
    const named = (raw: string): boolean => {
      try {
        const decoded = decodeInboxRecord(raw, 'set-aside');
        return decoded.type === 'record' ? decoded.record.event.userId === psid : raw.includes(psid);
      } catch {
        return raw.includes(psid);
      }
    };
    const kept = this.setAsideRows.get(partition);
    if (kept)
      this.setAsideRows.set(
        partition,
        kept.filter((e) => !named(e.raw)),
      );
    const stones = this.tombstones.get(partition) ?? new Map<string, number>();
    stones.set(tombstone.id, tombstone.deletedAt);
    this.tombstones.set(partition, stones);
    this.cursors.set(partition, itemId);
    this.stream(this.streams, partition).delete(itemId);
    return 'forgotten';
  }

  async forgottenAt(partition: number, userKey: string): Promise<number | null> {
    return this.tombstones.get(partition)?.get(tombstoneIdOf(userKey)) ?? null;
  }

  async userOutbox(partition: number, userKey: string): Promise<OutboxEntry[]> {
    return (await this.readOutbox(partition, '0-0', Number.MAX_SAFE_INTEGER)).filter((e) => e.userKey === userKey);
  }

  /** The owner marker (keys.ts `owner` in Redis); a memory store starts empty, so only a second claim can be refused. */
  private ownerPage: string | undefined;

  async claimOwner(pageId: string, options: ClaimOptions): Promise<OwnerClaim> {
    if (this.ownerPage !== undefined)
      return this.ownerPage === pageId ? { ok: true, created: false } : { ok: false, owner: this.ownerPage };
    const holdsData =
      [this.stateRows, this.dedupe, this.leaseHolders, this.workers].some((m) => m.size > 0) ||
      [...this.streams.values(), ...this.outboxes.values()].some((s) => s.entries.length > 0);
    if (options.requireEmpty && holdsData) return { ok: false, owner: null };
    this.ownerPage = pageId;
    return { ok: true, created: true };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    this.appended.emit('append');
  }
}

export function createMemoryStore(options: MemoryStoreOptions): OwnedStore {
  return new MemoryStore(options);
}
