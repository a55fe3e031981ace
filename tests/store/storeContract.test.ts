import pino from 'pino';
import { decodeEffect, encodeEffect } from '../../src/runtime/decodeEffect';
import { tombstoneIdOf } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AppendRequest, BroadcastRecord, BroadcastStatus, BroadcastStore, InboxRead, Store } from '../../src/store/ports';
import type { OwnedStore } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import { ALL_EFFECTS } from '../engine/effectSamples';
import { clusterAdapters } from '../support/clusterStore';
import { deletePrefix } from '../support/redisKeys';
import { waitFor } from '../support/webhookClient';
import { TEST_REDIS_URL, uniquePrefix } from '../support/testEnv';

/**
 * One behaviour, every adapter: every store promise the runtime relies on is checked against the
 * in-memory store and against a real Redis (unique key prefix per test).
 */
const DEDUPE_TTL_SECONDS = 1;
const silent = pino({ level: 'silent' });

type Factory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
const adapters: Array<[string, Factory]> = [
  [
    'memory',
    async () => ({ store: createMemoryStore({ dedupeTtlSeconds: DEDUPE_TTL_SECONDS }), cleanup: async () => undefined }),
  ],
  [
    'redis',
    async () => {
      const keyPrefix = uniquePrefix('contract');
      const store = await createRedisStore({
        url: TEST_REDIS_URL,
        keyPrefix,
        dedupeTtlSeconds: DEDUPE_TTL_SECONDS,
        timeoutMs: 1500,
        logger: silent,
      });
      return { store, cleanup: () => deletePrefix(keyPrefix) };
    },
  ],
  // The suite's 3-master Redis Cluster (tests/support/globalSetup.ts), unless TEST_REDIS_CLUSTER=off.
  ...clusterAdapters('contract'),
];

const event = (userId: string, n: number): MessengerEvent => ({
  kind: 'message',
  channel: 'messaging',
  pageId: 'page',
  userId,
  timestamp: 1_700_000_000_000 + n,
  dedupeKey: `mid:${userId}-${n}`,
  raw: { message: { mid: `${userId}-${n}`, text: `hello ${n}` } },
});
const req = (partition: number, userId: string, n: number): AppendRequest => ({
  partition,
  dedupeKey: `mid:${userId}-${n}`,
  record: { source: 'webhook', event: event(userId, n) },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(adapters)('%s store contract', (_name, make) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await make()));
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const itemsOf = (reads: InboxRead[]) => reads.flatMap((r) => (r.type === 'item' ? [r] : []));
  const readAll = async (p: number, after = '0-0') => itemsOf(await store.inbox.readNew(new Map([[p, after]]), 1000, 10));

  describe('inbox', () => {
    it('appends in order and dedupes redeliveries within the TTL', async () => {
      expect(await store.inbox.append([req(1, 'u', 1), req(1, 'u', 2), req(1, 'u', 1)])).toEqual({ appended: 2, duplicates: 1 });
      expect(await store.inbox.append([req(1, 'u', 2)])).toEqual({ appended: 0, duplicates: 1 });
      const items = await readAll(1);
      expect(items.map((i) => i.record.event.dedupeKey)).toEqual(['mid:u-1', 'mid:u-2']);
      expect(items.every((i) => i.partition === 1)).toBe(true);
      expect(items[0]?.record).toEqual({ source: 'webhook', event: event('u', 1) });
    });

    it('forgets a dedupe key after the TTL', async () => {
      await store.inbox.append([req(1, 'u', 1)]);
      await sleep(DEDUPE_TTL_SECONDS * 1000 + 150);
      expect(await store.inbox.append([req(1, 'u', 1)])).toEqual({ appended: 1, duplicates: 0 });
    });

    it('reads only after the given id, per partition, and counts pending items', async () => {
      await store.inbox.append([req(0, 'a', 1), req(2, 'b', 1), req(2, 'b', 2)]);
      const [first] = await readAll(2);
      const rest = await readAll(2, first?.id);
      expect(rest.map((i) => i.record.event.dedupeKey)).toEqual(['mid:b-2']);
      const both = await store.inbox.readNew(
        new Map([
          [0, '0-0'],
          [2, '0-0'],
        ]),
        1,
        10,
      );
      expect(both.map((i) => i.partition).sort()).toEqual([0, 2]);
      expect(await store.inbox.pendingCounts([0, 1, 2])).toEqual([1, 0, 2]);
    });

    it('waits for new items and wakes when one arrives; [] on timeout', async () => {
      expect(await store.inbox.readNew(new Map([[3, '0-0']]), 10, 50)).toEqual([]);
      const waiting = store.inbox.readNew(new Map([[3, '0-0']]), 10, 5000);
      await sleep(50);
      const started = Date.now();
      await store.inbox.append([req(3, 'c', 1)]);
      const items = await waiting;
      expect(items).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(4000);
    });
  });

  describe('setting an item aside', () => {
    it('counts attempts per item: the same item adds one, another item starts again at 1', async () => {
      expect(await store.inbox.noteAttempt(4, '5-0')).toBe(1);
      expect(await store.inbox.noteAttempt(4, '5-0')).toBe(2);
      expect(await store.inbox.noteAttempt(5, '5-0')).toBe(1); // partitions count apart
      expect(await store.inbox.noteAttempt(4, '6-0')).toBe(1);
      expect(await store.inbox.noteAttempt(4, '6-0')).toBe(2);
    });

    it('moves the item out of the inbox, advances the cursor to it and keeps it, newest first', async () => {
      await store.inbox.append([req(4, 'a', 1), req(4, 'b', 1), req(4, 'a', 2)]);
      const [first, second] = await readAll(4);
      const token = (await store.leases.acquire(4, 'w', 10_000)) as string;
      await store.inbox.noteAttempt(4, first?.id ?? '');
      expect(await store.inbox.setAside(4, token, first?.id ?? '', 'attempts', 5, 'Error: boom')).toBe('set_aside');
      expect(await store.inbox.cursor(4)).toBe(first?.id);
      expect(await store.inbox.pendingCounts([4])).toEqual([2]);
      expect((await readAll(4, await store.inbox.cursor(4))).map((i) => i.record.event.dedupeKey)).toEqual([
        'mid:b-1',
        'mid:a-2',
      ]);
      // The count went with the item: the next item starts from 1.
      expect(await store.inbox.noteAttempt(4, first?.id ?? '')).toBe(1);
      expect(await store.inbox.setAside(4, token, second?.id ?? '', 'corrupt', 0, 'not JSON')).toBe('set_aside');
      const kept = await store.inbox.setAsideItems(4, 10);
      expect(kept.map((k) => [k.itemId, k.reason, k.attempts, k.detail])).toEqual([
        [second?.id, 'corrupt', 0, 'not JSON'],
        [first?.id, 'attempts', 5, 'Error: boom'],
      ]);
      expect(JSON.parse(kept[1]?.raw ?? '')).toMatchObject({ source: 'webhook', event: event('a', 1) });
    });

    it('changes nothing without the lease, or for an item at or before the cursor', async () => {
      await store.inbox.append([req(6, 'a', 1)]);
      const [item] = await readAll(6);
      const token = (await store.leases.acquire(6, 'w', 10_000)) as string;
      expect(await store.inbox.setAside(6, 'not-the-token', item?.id ?? '', 'attempts', 5, '')).toBe('lease_lost');
      expect(await store.inbox.setAside(6, token, '0-0', 'attempts', 5, '')).toBe('already_applied');
      expect(await store.inbox.pendingCounts([6])).toEqual([1]);
      expect(await store.inbox.setAsideItems(6, 10)).toEqual([]);
      expect(await store.inbox.cursor(6)).toBe('0-0');
    });
  });

  describe('leases', () => {
    it('gives a partition to one holder; only the holder renews or releases', async () => {
      const a = await store.leases.acquire(5, 'wa', 10_000);
      expect(a).toMatch(/^wa#\d+$/);
      expect(await store.leases.acquire(5, 'wb', 10_000)).toBeNull();
      expect(await store.leases.renew(5, 'wb#999', 10_000)).toBe(false);
      expect(await store.leases.renew(5, a as string, 10_000)).toBe(true);
      expect(await store.leases.release(5, 'wb#999')).toBe(false);
      expect(await store.leases.release(5, a as string)).toBe(true);
      expect(await store.leases.acquire(5, 'wb', 10_000)).toMatch(/^wb#\d+$/);
    });

    it('expires an unrenewed lease and fences the old holder with a new token', async () => {
      const a = await store.leases.acquire(6, 'wa', 100);
      await sleep(200);
      const b = await store.leases.acquire(6, 'wb', 10_000);
      expect(b).not.toBeNull();
      expect(b).not.toEqual(a);
      expect(await store.leases.renew(6, a as string, 10_000)).toBe(false);
    });

    it('tells a lease taken over from a holder that never released it from one released, or the first', async () => {
      const { leases } = store;
      const take = (worker: string, ttlMs: number) => {
        if (!leases.acquireNoting) throw new Error('every adapter tells how the previous lease ended');
        return leases.acquireNoting(7, worker, ttlMs);
      };
      expect(await take('wa', 100)).toEqual({ token: expect.stringMatching(/^wa#\d+$/), previous: 'released' });
      await sleep(200); // wa's lease runs out unreleased (a crash, a freeze)
      const b = await take('wb', 10_000);
      expect(b?.previous).toBe('not_released');
      expect(await take('wc', 10_000)).toBeNull();
      expect(await leases.release(7, b?.token as string)).toBe(true);
      expect((await take('wd', 10_000))?.previous).toBe('released');
    });

    it('counts live workers by heartbeat; expired and departed ones drop out', async () => {
      // The long-lived one first: however long the machine takes between the two calls, w1 is
      // alive when it is counted.
      expect(await store.leases.heartbeat('w2', 10_000)).toBe(1);
      expect(await store.leases.heartbeat('w1', 150)).toBe(2);
      await sleep(250);
      expect(await store.leases.heartbeat('w2', 10_000)).toBe(1);
      expect(await store.leases.heartbeat('w3', 10_000)).toBe(2);
      await store.leases.leave('w3');
      expect(await store.leases.heartbeat('w2', 10_000)).toBe(1);
    });
  });

  describe('commit', () => {
    const setup = async () => {
      await store.inbox.append([req(4, 'u', 1), req(4, 'u', 2), req(4, 'v', 3)]);
      const items = await readAll(4);
      const token = (await store.leases.acquire(4, 'w', 10_000)) as string;
      return { token, id1: items[0]?.id as string, id2: items[1]?.id as string, id3: items[2]?.id as string };
    };
    const item = (
      itemId: string,
      userKey: string,
      expectedVersion: number,
      data: unknown,
      effects: Array<{ type: string; n?: number }> = [],
    ) => ({
      itemId,
      userKey,
      expectedVersion,
      data,
      effects: effects.map((body) => ({ v: 1, body })),
    });

    it("writes states, effects and cursor together and removes the items, chaining a user's versions", async () => {
      const { token, id1, id2, id3 } = await setup();
      const effects = [
        { type: 'send', n: 1 },
        { type: 'send', n: 2 },
      ];
      const items = [
        item(id1, 'page:u', 0, { n: 1 }, effects),
        item(id2, 'page:u', 1, { n: 2 }),
        item(id3, 'page:v', 0, { m: 1 }, [{ type: 'x' }]),
      ];
      expect(await store.states.commit({ partition: 4, leaseToken: token, items })).toEqual({
        type: 'committed',
        applied: [true, true, true],
      });
      expect(await store.states.load(4, 'page:u')).toEqual({ version: 2, data: { n: 2 } });
      expect(await store.states.load(4, 'page:v')).toEqual({ version: 1, data: { m: 1 } });
      expect(await store.inbox.cursor(4)).toBe(id3);
      expect(await store.inbox.pendingCounts([4])).toEqual([0]);
      const outbox = await store.states.readOutbox(4, '0-0', 10);
      expect(outbox.map((o) => [o.userKey, o.itemId, o.effect])).toEqual([
        ...effects.map((e) => ['page:u', id1, { v: 1, body: e }]),
        ['page:v', id3, { v: 1, body: { type: 'x' } }],
      ]);
    });

    it('stops at a stale version: earlier items stay applied, that one and later ones change nothing', async () => {
      const { token, id1, id2, id3 } = await setup();
      const outcome = await store.states.commit({
        partition: 4,
        leaseToken: token,
        items: [item(id1, 'page:u', 0, { n: 1 }), item(id2, 'page:u', 0, { n: 99 }), item(id3, 'page:v', 0, { m: 1 })],
      });
      expect(outcome).toEqual({ type: 'stale_version', index: 1, currentVersion: 1 });
      expect(await store.states.load(4, 'page:u')).toEqual({ version: 1, data: { n: 1 } });
      expect(await store.states.load(4, 'page:v')).toEqual({ version: 0, data: null });
      expect(await store.inbox.cursor(4)).toBe(id1);
      expect(await store.inbox.pendingCounts([4])).toEqual([2]);
    });

    it('refuses a commit without the current lease (fencing) and changes nothing', async () => {
      const { token, id1 } = await setup();
      await store.leases.release(4, token);
      const other = (await store.leases.acquire(4, 'w2', 10_000)) as string;
      expect(other).not.toBe(token);
      expect(await store.states.commit({ partition: 4, leaseToken: token, items: [item(id1, 'page:u', 0, { n: 1 })] })).toEqual({
        type: 'lease_lost',
      });
      expect(await store.states.load(4, 'page:u')).toEqual({ version: 0, data: null });
      expect(await store.inbox.cursor(4)).toBe('0-0');
    });

    it('never applies an item at or before the cursor twice', async () => {
      const { token, id1, id2 } = await setup();
      await store.states.commit({ partition: 4, leaseToken: token, items: [item(id2, 'page:u', 0, { n: 2 })] });
      const again = await store.states.commit({
        partition: 4,
        leaseToken: token,
        items: [item(id1, 'page:u', 1, { n: 1 }), item(id2, 'page:u', 1, { n: 3 })],
      });
      expect(again).toEqual({ type: 'committed', applied: [false, false] });
      expect(await store.states.load(4, 'page:u')).toEqual({ version: 1, data: { n: 2 } });
    });

    it('keeps the thread list with the states: set, leave alone, remove; a refused item changes nothing', async () => {
      const { token, id1, id2, id3 } = await setup();
      const human = { state: 'human', since: 1000, lastInboundAt: 900, waitingSince: 900 };
      await store.states.commit({
        partition: 4,
        leaseToken: token,
        items: [
          { ...item(id1, 'page:u', 0, { n: 1 }), thread: human },
          { ...item(id3, 'page:v', 0, { m: 1 }), thread: { ...human, state: 'paused' } },
        ],
      });
      expect((await store.states.threads(4)).sort((a, b) => a.userKey.localeCompare(b.userKey))).toEqual([
        { userKey: 'page:u', mark: human },
        { userKey: 'page:v', mark: { ...human, state: 'paused' } },
      ]);
      expect(await store.states.threads(5)).toEqual([]);
      // A stale item's mark is not written either (all or nothing per item).
      await store.states.commit({
        partition: 4,
        leaseToken: token,
        items: [{ ...item(id2, 'page:u', 0, { n: 2 }), thread: null }],
      });
      expect((await store.states.threads(4)).map((t) => t.userKey).sort()).toEqual(['page:u', 'page:v']);
      await store.inbox.append([req(4, 'u', 4), req(4, 'v', 5)]);
      const [later1, later2] = (await readAll(4)).slice(-2);
      await store.states.commit({
        partition: 4,
        leaseToken: token,
        items: [
          { ...item(later1?.id as string, 'page:u', 1, { n: 3 }), thread: undefined },
          { ...item(later2?.id as string, 'page:v', 1, { m: 2 }), thread: null },
        ],
      });
      expect(await store.states.threads(4)).toEqual([{ userKey: 'page:u', mark: human }]);
    });
  });
  describe('outbox delivery', () => {
    it('acks entries only under the lease, advancing the outbox cursor', async () => {
      await store.inbox.append([req(7, 'u', 1)]);
      const [item] = await readAll(7);
      const token = (await store.leases.acquire(7, 'w', 10_000)) as string;
      const items = [
        {
          itemId: item?.id as string,
          userKey: 'page:u',
          expectedVersion: 0,
          data: {},
          effects: ['a', 'b'].map((type) => ({ v: 1, body: { type } })),
        },
      ];
      await store.states.commit({ partition: 7, leaseToken: token, items });
      const [a, b] = await store.states.readOutbox(7, await store.states.outboxCursor(7), 10);
      expect(await store.states.ackOutbox(7, 'someone-else#1', [{ id: a?.id as string }])).toBe(false);
      expect(await store.states.outboxCursor(7)).toBe('0-0');
      expect(await store.states.ackOutbox(7, token, [{ id: a?.id as string }])).toBe(true);
      expect(await store.states.outboxCursor(7)).toBe(a?.id);
      expect((await store.states.readOutbox(7, await store.states.outboxCursor(7), 10)).map((e) => e.id)).toEqual([b?.id]);
    });

    it('an ack out of order removes the entry but moves the cursor only where told', async () => {
      await store.inbox.append([req(7, 'u', 1)]);
      const [item] = await readAll(7);
      const token = (await store.leases.acquire(7, 'w', 10_000)) as string;
      const items = [
        {
          itemId: item?.id as string,
          userKey: 'page:u',
          expectedVersion: 0,
          data: {},
          effects: ['a', 'b', 'c'].map((type) => ({ v: 1, body: { type } })),
        },
      ];
      await store.states.commit({ partition: 7, leaseToken: token, items });
      const [a, b, c] = await store.states.readOutbox(7, '0-0', 10);
      expect(await store.states.ackOutbox(7, token, [{ id: b?.id as string }], 'stay')).toBe(true);
      expect(await store.states.outboxCursor(7)).toBe('0-0');
      expect((await store.states.readOutbox(7, '0-0', 10)).map((e) => e.id)).toEqual([a?.id, c?.id]);
      expect(await store.states.ackOutbox(7, token, [{ id: a?.id as string }], { to: b?.id as string })).toBe(true);
      expect(await store.states.outboxCursor(7)).toBe(b?.id);
      expect((await store.states.readOutbox(7, await store.states.outboxCursor(7), 10)).map((e) => e.id)).toEqual([c?.id]);
    });

    it('keeps effects as opaque JSON with their format version: every kind reads back as the same typed value', async () => {
      await store.inbox.append([req(7, 'u', 1)]);
      const [item] = await readAll(7);
      const token = (await store.leases.acquire(7, 'w', 10_000)) as string;
      const future = { v: 99, body: { type: 'broadcast', audience: ['x'] } };
      const effects = [...ALL_EFFECTS.map(encodeEffect), future];
      const items = [{ itemId: item?.id as string, userKey: 'page:u', expectedVersion: 0, data: {}, effects }];
      await store.states.commit({ partition: 7, leaseToken: token, items });
      const outbox = await store.states.readOutbox(7, '0-0', 100);
      expect(outbox.map((o) => o.effect)).toEqual(effects);
      expect(outbox.slice(0, -1).map((o) => decodeEffect(o.effect))).toEqual(
        ALL_EFFECTS.map((effect) => ({ type: 'effect', effect })),
      );
    });

    it('remembers users Meta said are unreachable', async () => {
      expect(await store.states.deliveryFacts(3, 'page:u')).toEqual({});
      await store.states.markUnreachable(3, 'page:u', 1234);
      expect(await store.states.deliveryFacts(3, 'page:u')).toEqual({ unreachableAt: 1234 });
    });

    it('forgets a user at the expiry their last commit gave (state and delivery facts); a commit without one keeps them', async () => {
      await store.inbox.append([req(6, 'gone', 1), req(6, 'kept', 1), req(6, 'kept', 2), req(6, 'past', 1)]);
      const [g1, k1, k2, p1] = await readAll(6);
      const token = (await store.leases.acquire(6, 'w', 10_000)) as string;
      const item = (read: InboxRead | undefined, user: string, version: number, expireAt?: number) => ({
        itemId: read?.id as string,
        userKey: `page:${user}`,
        expectedVersion: version,
        data: { n: version },
        effects: [],
        ...(expireAt === undefined ? {} : { expireAt }),
      });
      // Long enough that the checks right after the commit run before it on a loaded machine.
      const soon = Date.now() + 3000;
      const commit = await store.states.commit({
        partition: 6,
        leaseToken: token,
        items: [item(g1, 'gone', 0, soon), item(k1, 'kept', 0, soon), item(k2, 'kept', 1)],
      });
      expect(commit).toEqual({ type: 'committed', applied: [true, true, true] });
      await store.states.markUnreachable(6, 'page:gone', 11); // after the commit: takes the state's expiry
      await store.states.markUnreachable(6, 'page:kept', 12);
      expect(await store.states.load(6, 'page:gone')).toEqual({ version: 1, data: { n: 0 } });
      // An expiry already past (a write for a user inactive for longer) forgets them at once.
      await store.states.commit({ partition: 6, leaseToken: token, items: [item(p1, 'past', 0, Date.now() - 1)] });
      expect(await store.states.load(6, 'page:past')).toEqual({ version: 0, data: null });

      await waitFor('the expired user to be gone', async () =>
        (await store.states.load(6, 'page:gone')).version === 0 ? true : undefined,
      );
      expect(await store.states.load(6, 'page:gone')).toEqual({ version: 0, data: null });
      expect(await store.states.deliveryFacts(6, 'page:gone')).toEqual({});
      // Same expiry once, then a commit without one: the expiry was removed.
      expect(await store.states.load(6, 'page:kept')).toEqual({ version: 2, data: { n: 1 } });
      expect(await store.states.deliveryFacts(6, 'page:kept')).toEqual({ unreachableAt: 12 });
    });
  });
  describe('timers', () => {
    const record = (id: string) => ({
      source: 'timer' as const,
      event: { ...event('t', 1), kind: 'timer_fired' as const, dedupeKey: `timer:${id}`, raw: { timer: 'handover_timeout', id } },
    });
    it('moves due timers (once each) into the inbox, only under the lease', async () => {
      await store.timers.set(8, 'u|t', 1000, record('a'));
      await store.timers.set(8, 'u|t', 1000, record('a'));
      await store.timers.set(8, 'v|t', 5000, record('b'));
      expect(await store.timers.fireDue(8, 'nobody#1', 2000, 10)).toBe(-1);
      const token = (await store.leases.acquire(8, 'w', 10_000)) as string;
      expect(await store.timers.fireDue(8, token, 2000, 10)).toBe(1);
      expect(await store.timers.fireDue(8, token, 2000, 10)).toBe(0);
      const items = await readAll(8);
      expect(items.map((i) => i.record)).toEqual([record('a')]);
      expect(await store.timers.fireDue(8, token, 6000, 10)).toBe(1);
    });

    it('fires several partitions in one call, each under its own lease', async () => {
      if (!store.timers.fireDueMany) throw new Error('every adapter fires several partitions at once');
      await store.timers.set(9, 'u|t', 1000, record('p9a'));
      await store.timers.set(9, 'v|t', 1500, record('p9b'));
      await store.timers.set(10, 'u|t', 1000, record('p10'));
      await store.timers.set(11, 'u|t', 1000, record('p11'));
      const held = await Promise.all(
        [9, 10].map(async (partition) => ({
          partition,
          leaseToken: (await store.leases.acquire(partition, 'w', 10_000)) as string,
        })),
      );
      const moved = await store.timers.fireDueMany([...held, { partition: 11, leaseToken: 'nobody#1' }], 2000, 1);
      expect(moved).toEqual([1, 1, -1]); // at most 1 per partition; 11 is not held
      expect(await store.timers.fireDueMany(held, 2000, 10)).toEqual([1, 0]);
      expect((await readAll(9)).map((i) => i.record)).toEqual([record('p9a'), record('p9b')]);
      expect((await readAll(10)).map((i) => i.record)).toEqual([record('p10')]);
      expect(await readAll(11)).toEqual([]);
    });

    it('keeps one timer per slot: setting again replaces it (postpones), clear removes it', async () => {
      const token = (await store.leases.acquire(8, 'w', 10_000)) as string;
      await store.timers.set(8, 'u|t', 1000, record('a1'));
      await store.timers.set(8, 'u|t', 3000, record('a2')); // postponed: the first one is gone
      await store.timers.set(8, 'v|t', 1000, record('b1'));
      await store.timers.clear(8, 'v|t');
      await store.timers.clear(8, 'nothing|t');
      expect(await store.timers.fireDue(8, token, 2000, 10)).toBe(0);
      expect(await store.timers.fireDue(8, token, 3000, 10)).toBe(1);
      expect((await readAll(8)).map((i) => i.record)).toEqual([record('a2')]);
      expect(await store.timers.fireDue(8, token, 9000, 10)).toBe(0);
    });
  });

  describe('forgetting a user', () => {
    const forgetReq = (partition: number, userId: string, n: number): AppendRequest => ({
      partition,
      dedupeKey: `admin:forget-${n}`,
      record: {
        source: 'admin',
        event: { ...event(userId, n), kind: 'admin_command', dedupeKey: `admin:forget-${n}`, raw: { command: 'forget' } },
      },
    });
    const timerRecord = (userId: string) => ({
      source: 'timer' as const,
      event: {
        ...event(userId, 0),
        kind: 'timer_fired' as const,
        dedupeKey: `timer:${userId}`,
        raw: { timer: 'handover_timeout' },
      },
    });
    const stone = { id: tombstoneIdOf('page:u'), deletedAt: 1_700_000_999_000 };
    const mark = { state: 'human', since: 1, lastInboundAt: 1, waitingSince: null };
    /** u and v talk, one item of each is set aside, both have a timer; then u is erased, then u writes again. */
    const setup = async () => {
      await store.inbox.append([
        req(5, 'u', 1),
        req(5, 'v', 2),
        req(5, 'u', 3),
        req(5, 'v', 4),
        forgetReq(5, 'u', 5),
        req(5, 'u', 6),
      ]);
      const [u1, v2, u3, v4, forget, u6] = (await readAll(5)).map((i) => i.id) as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const token = (await store.leases.acquire(5, 'w', 10_000)) as string;
      const said = (itemId: string, userKey: string) => ({
        itemId,
        userKey,
        expectedVersion: 0,
        data: { said: userKey },
        effects: [{ v: 1, body: { type: 'send', to: userKey } }],
        thread: mark,
        audience: JSON.stringify({ of: userKey }),
      });
      await store.states.commit({ partition: 5, leaseToken: token, items: [said(u1, 'page:u'), said(v2, 'page:v')] });
      await store.inbox.setAside(5, token, u3, 'attempts', 5, 'boom');
      await store.inbox.setAside(5, token, v4, 'attempts', 5, 'boom');
      await store.timers.set(5, 'page:u|handover_timeout', 9_000, timerRecord('u'));
      await store.timers.set(5, 'page:v|handover_timeout', 9_000, timerRecord('v'));
      await store.states.markUnreachable(5, 'page:u', 1234);
      return { token, forget, u6 };
    };

    it("removes the user's state, delivery facts, thread entry, outbox entries, timers and set-aside items; keeps the tombstone and everyone else", async () => {
      const { token, forget, u6 } = await setup();
      expect((await store.states.userOutbox(5, 'page:u')).map((e) => e.effect.body)).toEqual([{ type: 'send', to: 'page:u' }]);
      expect((await store.timers.pending(5, 'page:u|')).map((t) => [t.slot, t.dueAt, t.record])).toEqual([
        ['page:u|handover_timeout', 9_000, timerRecord('u')],
      ]);
      expect(await store.states.forgottenAt(5, 'page:u')).toBeNull();

      expect(await store.states.forget(5, token, forget, 'page:u', stone)).toBe('forgotten');
      expect(await store.states.load(5, 'page:u')).toEqual({ version: 0, data: null });
      expect(await store.states.deliveryFacts(5, 'page:u')).toEqual({});
      expect((await store.states.threads(5)).map((t) => t.userKey)).toEqual(['page:v']);
      expect((await store.audience?.cards(5, '0', 100))?.cards.map((c) => c.userKey)).toEqual(['page:v']);
      expect((await store.states.readOutbox(5, '0-0', 10)).map((e) => e.userKey)).toEqual(['page:v']);
      expect(await store.states.userOutbox(5, 'page:u')).toEqual([]);
      expect(await store.timers.pending(5, 'page:u|')).toEqual([]);
      expect((await store.timers.pending(5, 'page:')).map((t) => t.slot)).toEqual(['page:v|handover_timeout']);
      const aside = await store.inbox.setAsideItems(5, 10);
      expect(aside.map((e) => (JSON.parse(e.raw) as { event: { userId: string } }).event.userId)).toEqual(['v']);
      // The cursor passed the erase, which left the inbox; what u wrote after it waits to be applied.
      expect(await store.inbox.cursor(5)).toBe(forget);
      expect((await readAll(5)).map((i) => i.id)).toEqual([u6]);
      expect(await store.states.forgottenAt(5, 'page:u')).toBe(stone.deletedAt);
      expect(await store.states.forgottenAt(5, 'page:v')).toBeNull();
      expect(await store.states.load(5, 'page:v')).toEqual({ version: 1, data: { said: 'page:v' } });
    });

    it("finds the user's outbox entries beyond the first thousand (the outbox is read a page at a time)", async () => {
      await store.inbox.append([req(7, 'v', 1), req(7, 'u', 2), forgetReq(7, 'u', 3)]);
      const [v1, u2, forget] = (await readAll(7)).map((i) => i.id) as [string, string, string];
      const token = (await store.leases.acquire(7, 'w', 10_000)) as string;
      const sends = (n: number, to: string) => Array.from({ length: n }, (_, i) => ({ v: 1, body: { type: 'send', to, i } }));
      const items = [
        { itemId: v1, userKey: 'page:v', expectedVersion: 0, data: {}, effects: sends(1_200, 'page:v') },
        { itemId: u2, userKey: 'page:u', expectedVersion: 0, data: {}, effects: sends(3, 'page:u') },
      ];
      await store.states.commit({ partition: 7, leaseToken: token, items });
      expect(await store.states.userOutbox(7, 'page:u')).toHaveLength(3);
      expect(await store.states.forget(7, token, forget, 'page:u', stone)).toBe('forgotten');
      expect(await store.states.userOutbox(7, 'page:u')).toEqual([]);
      expect(await store.states.userOutbox(7, 'page:v')).toHaveLength(1_200);
    });

    it('changes nothing without the lease, or for an item at or before the cursor', async () => {
      const { token, forget } = await setup();
      expect(await store.states.forget(5, 'not-the-token', forget, 'page:u', stone)).toBe('lease_lost');
      expect(await store.states.forget(5, token, '0-1', 'page:u', stone)).toBe('already_applied');
      expect((await store.states.load(5, 'page:u')).version).toBe(1);
      expect(await store.states.userOutbox(5, 'page:u')).toHaveLength(1);
      expect(await store.timers.pending(5, 'page:u|')).toHaveLength(1);
      expect(await store.states.forgottenAt(5, 'page:u')).toBeNull();
    });
  });

  describe('broadcasts', () => {
    const record = (id: string, createdAt: number, status: BroadcastStatus = 'scheduled'): BroadcastRecord => ({
      id,
      definition: JSON.stringify({ id, name: `Broadcast ${id}` }),
      status,
      createdAt,
      createdBy: 'cli',
      startAt: createdAt + 60_000,
      updatedAt: createdAt,
    });
    const broadcasts = () => store.broadcasts as BroadcastStore;
    /** Appends one item per user to the partition, takes its lease, and returns the item ids. */
    const itemsIn = async (p: number, users: string[]) => {
      await store.inbox.append(users.map((u, n) => req(p, u, n + 1)));
      const ids = (await readAll(p)).map((i) => i.id);
      const token = (await store.leases.acquire(p, 'w', 10_000)) as string;
      return { token, ids };
    };
    const counted = (itemId: string, userKey: string, stats: string[], effects = 0) => ({
      itemId,
      userKey,
      expectedVersion: 0,
      data: {},
      effects: Array.from({ length: effects }, (_, n) => ({ v: 1, body: { type: 'send', n } })),
      stats,
    });

    it('counts a commit item’s stats once: a replayed item and a refused commit count nothing', async () => {
      const { token, ids } = await itemsIn(9, ['u', 'v', 'w']);
      const [id1, id2, id3] = ids as [string, string, string];
      expect(
        await store.states.commit({
          partition: 9,
          leaseToken: token,
          items: [
            counted(id1, 'page:u', ['a|queued', 'a|audience']),
            { ...counted(id2, 'page:v', ['a|skipped']), writeState: false },
          ],
        }),
      ).toEqual({ type: 'committed', applied: [true, true] });
      expect(await broadcasts().stats('a', [9])).toEqual({ queued: 1, audience: 1, skipped: 1 });
      // Redelivered after a crash: both are at or before the cursor.
      expect(
        await store.states.commit({
          partition: 9,
          leaseToken: token,
          items: [counted(id1, 'page:u', ['a|queued']), counted(id2, 'page:v', ['a|skipped'])],
        }),
      ).toEqual({ type: 'committed', applied: [false, false] });
      // Without the lease, and at a stale version: nothing counted.
      expect(
        await store.states.commit({ partition: 9, leaseToken: 'someone-else#1', items: [counted(id3, 'page:w', ['a|queued'])] }),
      ).toEqual({ type: 'lease_lost' });
      expect(
        await store.states.commit({
          partition: 9,
          leaseToken: token,
          items: [{ ...counted(id3, 'page:u', ['a|queued']), expectedVersion: 0 }],
        }),
      ).toEqual({ type: 'stale_version', index: 0, currentVersion: 1 });
      expect(await broadcasts().stats('a', [9])).toEqual({ queued: 1, audience: 1, skipped: 1 });
      // The item after, without stats, leaves the counters alone and is applied as ever.
      expect(
        await store.states.commit({
          partition: 9,
          leaseToken: token,
          items: [{ ...counted(id3, 'page:w', []), stats: undefined }],
        }),
      ).toEqual({ type: 'committed', applied: [true] });
      expect(await store.states.load(9, 'page:w')).toEqual({ version: 1, data: {} });
      expect(await broadcasts().stats('a', [9])).toEqual({ queued: 1, audience: 1, skipped: 1 });
    });

    it('counts an ack’s stat once per ack, only under the lease; the outbox backlog counts entries not yet done', async () => {
      const { token, ids } = await itemsIn(10, ['u']);
      expect(await store.states.outboxBacklog(10)).toBe(0);
      await store.states.commit({ partition: 10, leaseToken: token, items: [counted(ids[0] as string, 'page:u', [], 3)] });
      expect(await store.states.outboxBacklog(10)).toBe(3);
      expect(await store.states.outboxBacklog(11)).toBe(0);
      const [e1, e2, e3] = (await store.states.readOutbox(10, '0-0', 10)).map((e) => e.id) as [string, string, string];
      expect(await store.states.ackOutbox(10, 'someone-else#1', [{ id: e1, stat: 'a|sent' }])).toBe(false);
      expect(await broadcasts().stats('a', [10])).toEqual({});
      expect(await store.states.outboxBacklog(10)).toBe(3);
      expect(await store.states.ackOutbox(10, token, [{ id: e1, stat: 'a|sent' }])).toBe(true);
      expect(await store.states.ackOutbox(10, token, [{ id: e2, stat: 'a|failed' }], 'stay')).toBe(true);
      // An ack retried after its answer was lost counts nothing more.
      expect(await store.states.ackOutbox(10, token, [{ id: e1, stat: 'a|sent' }], 'stay')).toBe(true);
      expect(await store.states.outboxCursor(10)).toBe(e1);
      expect(await store.states.ackOutbox(10, token, [{ id: e3 }])).toBe(true); // no stat
      expect(await store.states.outboxCursor(10)).toBe(e3);
      expect(await store.states.outboxBacklog(10)).toBe(0);
      expect(await broadcasts().stats('a', [10])).toEqual({ sent: 1, failed: 1 });
    });

    it('acks several entries in one step: all or nothing under the lease, each stat once, the cursor as asked', async () => {
      const { token, ids } = await itemsIn(13, ['u']);
      await store.states.commit({ partition: 13, leaseToken: token, items: [counted(ids[0] as string, 'page:u', [], 4)] });
      const [e1, e2, e3, e4] = (await store.states.readOutbox(13, '0-0', 10)).map((e) => e.id) as [
        string,
        string,
        string,
        string,
      ];
      const batch = [{ id: e1, stat: 'a|sent' }, { id: e3, stat: 'a|sent' }, { id: e2 }];
      expect(await store.states.ackOutbox(13, 'someone-else#1', batch, { to: e3 })).toBe(false);
      expect(await store.states.outboxBacklog(13)).toBe(4);
      expect(await store.states.ackOutbox(13, token, batch, { to: e3 })).toBe(true);
      expect(await store.states.ackOutbox(13, token, batch, 'stay')).toBe(true); // a retry counts nothing more
      expect(await store.states.outboxCursor(13)).toBe(e3);
      expect((await store.states.readOutbox(13, '0-0', 10)).map((e) => e.id)).toEqual([e4]);
      expect(await broadcasts().stats('a', [13])).toEqual({ sent: 2 });
      expect(await store.states.ackOutbox(13, token, [{ id: e4 }])).toBe(true); // default: to the last acked
      expect(await store.states.outboxCursor(13)).toBe(e4);
    });

    it('keeps send facts with the state: written and removed with it, read with the delivery facts', async () => {
      const { token, ids } = await itemsIn(14, ['u', 'u', 'u']);
      const [id1, id2, id3] = ids as [string, string, string];
      expect(await store.states.sendFacts(14, 'page:u')).toEqual({ facts: null, delivery: {} });
      const item = (itemId: string, expectedVersion: number, facts?: string) => ({
        itemId,
        userKey: 'page:u',
        expectedVersion,
        data: { n: expectedVersion },
        effects: [],
        ...(facts === undefined ? {} : { facts }),
      });
      await store.states.commit({ partition: 14, leaseToken: token, items: [item(id1, 0, '{"t":"bot"}')] });
      await store.states.markUnreachable(14, 'page:u', 1234);
      expect(await store.states.sendFacts(14, 'page:u')).toEqual({ facts: '{"t":"bot"}', delivery: { unreachableAt: 1234 } });
      expect(await store.states.sendFacts(14, 'page:v')).toEqual({ facts: null, delivery: {} });
      await store.states.commit({ partition: 14, leaseToken: token, items: [item(id2, 1, '{"t":"human"}')] });
      expect((await store.states.sendFacts(14, 'page:u')).facts).toBe('{"t":"human"}');
      // A state written without facts leaves none behind (never an older state's).
      await store.states.commit({ partition: 14, leaseToken: token, items: [item(id3, 2)] });
      expect((await store.states.sendFacts(14, 'page:u')).facts).toBeNull();
      expect(await store.states.load(14, 'page:u')).toEqual({ version: 3, data: { n: 2 } });
    });

    it('sums stats across the given partitions and never mixes two broadcasts (a, a-b, ab)', async () => {
      const one = await itemsIn(12, ['u', 'v']);
      await store.states.commit({
        partition: 12,
        leaseToken: one.token,
        items: [
          counted(one.ids[0] as string, 'page:u', ['a|sent', 'a-b|sent', 'ab|sent'], 1),
          counted(one.ids[1] as string, 'page:v', ['a|sent']),
        ],
      });
      const [entry] = await store.states.readOutbox(12, '0-0', 10);
      await store.states.ackOutbox(12, one.token, [{ id: entry?.id as string, stat: 'a|delivered' }]);
      const two = await itemsIn(13, ['w']);
      await store.states.commit({
        partition: 13,
        leaseToken: two.token,
        items: [counted(two.ids[0] as string, 'page:w', ['a|sent', 'a|failed', 'a-b|failed'])],
      });
      expect(await broadcasts().stats('a', [12, 13, 14])).toEqual({ sent: 3, delivered: 1, failed: 1 });
      expect(await broadcasts().stats('a', [12])).toEqual({ sent: 2, delivered: 1 });
      expect(await broadcasts().stats('a-b', [12, 13])).toEqual({ sent: 1, failed: 1 });
      expect(await broadcasts().stats('ab', [12, 13])).toEqual({ sent: 1 });
      expect(await broadcasts().stats('b', [12, 13])).toEqual({});
      expect(await broadcasts().stats('a', [])).toEqual({});
    });

    it('creates a record once: a second create is refused and writes nothing', async () => {
      const first = record('summer-sale', 1_000);
      expect(await broadcasts().create(first)).toBe('created');
      expect(await broadcasts().get('summer-sale')).toEqual(first);
      expect(await broadcasts().create({ ...first, definition: '{"other":true}', status: 'done', createdAt: 9_000 })).toBe(
        'exists',
      );
      expect(await broadcasts().get('summer-sale')).toEqual(first);
      expect((await broadcasts().list(10)).map((r) => r.id)).toEqual(['summer-sale']);
      expect(await broadcasts().active()).toEqual(['summer-sale']);
      expect(await broadcasts().get('nothing')).toBeNull();
      // A record created with a campaign keeps it; one created done is not active.
      const done = { ...record('old', 500, 'done'), campaign: 'm-1' };
      expect(await broadcasts().create(done)).toBe('created');
      expect(await broadcasts().get('old')).toEqual(done);
      expect(await broadcasts().active()).toEqual(['summer-sale']);
    });

    it('moves a status only from the expected ones (compare-and-set), keeping the active set in step', async () => {
      await broadcasts().create(record('b1', 1_000));
      expect(await broadcasts().setStatus('b1', ['running', 'paused'], 'cancelled', 2_000)).toBe(false);
      expect(await broadcasts().get('b1')).toMatchObject({ status: 'scheduled', updatedAt: 1_000 });
      expect(await broadcasts().setStatus('b1', ['scheduled'], 'running', 2_000)).toBe(true);
      expect(await broadcasts().setStatus('b1', ['scheduled'], 'running', 2_500)).toBe(false);
      expect(await broadcasts().get('b1')).toMatchObject({ status: 'running', updatedAt: 2_000 });
      expect(await broadcasts().active()).toEqual(['b1']);
      expect(await broadcasts().setStatus('b1', ['running'], 'paused', 3_000)).toBe(true);
      expect(await broadcasts().active()).toEqual(['b1']);
      expect(await broadcasts().setStatus('b1', ['running', 'paused'], 'done', 4_000)).toBe(true);
      expect(await broadcasts().active()).toEqual([]);
      expect(await broadcasts().get('b1')).toMatchObject({ status: 'done', updatedAt: 4_000, createdAt: 1_000 });
      expect(await broadcasts().setStatus('b1', ['done'], 'running', 5_000)).toBe(true); // the store does not judge moves
      expect(await broadcasts().active()).toEqual(['b1']);
      // No such broadcast: refused, and nothing created.
      expect(await broadcasts().setStatus('ghost', ['scheduled'], 'running', 1)).toBe(false);
      expect(await broadcasts().get('ghost')).toBeNull();
      expect(await broadcasts().active()).toEqual(['b1']);
    });

    it('lists newest first, at most the limit', async () => {
      for (const [id, at] of [
        ['first', 1_000],
        ['third', 3_000],
        ['second', 2_000],
      ] as const)
        await broadcasts().create(record(id, at));
      expect((await broadcasts().list(10)).map((r) => r.id)).toEqual(['third', 'second', 'first']);
      expect((await broadcasts().list(2)).map((r) => r.id)).toEqual(['third', 'second']);
      expect(await broadcasts().list(0)).toEqual([]);
      expect((await broadcasts().list(1))[0]).toEqual(record('third', 3_000));
    });

    it('keeps the first campaign recorded; refuses one for a broadcast that does not exist', async () => {
      await broadcasts().create(record('mm', 1_000));
      expect(await broadcasts().setCampaign('mm', 'message-1')).toBe('message-1');
      expect(await broadcasts().setCampaign('mm', 'message-2')).toBe('message-1');
      expect(await broadcasts().get('mm')).toEqual({ ...record('mm', 1_000), campaign: 'message-1' });
      await expect(broadcasts().setCampaign('ghost', 'message-3')).rejects.toThrow(/ghost/);
      expect(await broadcasts().get('ghost')).toBeNull();
    });

    it('keeps the fan-out position per broadcast and partition, and counts the partitions done', async () => {
      expect(await broadcasts().fanout('f', 0)).toEqual({ type: 'at', cursor: '0' });
      expect(await broadcasts().fanoutDone('f')).toBe(0);
      await broadcasts().setFanout('f', 0, { type: 'at', cursor: '1234' });
      await broadcasts().setFanout('f', 1, { type: 'done' });
      await broadcasts().setFanout('f', 2, { type: 'at', cursor: 'k:page:u' });
      await broadcasts().setFanout('g', 0, { type: 'done' });
      expect(await broadcasts().fanout('f', 0)).toEqual({ type: 'at', cursor: '1234' });
      expect(await broadcasts().fanout('f', 1)).toEqual({ type: 'done' });
      expect(await broadcasts().fanout('f', 2)).toEqual({ type: 'at', cursor: 'k:page:u' });
      expect(await broadcasts().fanoutDone('f')).toBe(1);
      await broadcasts().setFanout('f', 0, { type: 'done' });
      await broadcasts().setFanout('f', 2, { type: 'done' });
      expect(await broadcasts().fanoutDone('f')).toBe(3);
      expect(await broadcasts().fanoutDone('g')).toBe(1);
      expect(await broadcasts().fanout('g', 1)).toEqual({ type: 'at', cursor: '0' });
    });
  });

  describe('owner', () => {
    // Both factories return what the adapters open, an OwnedStore; the suite holds it as a Store.
    const owned = () => store as OwnedStore;

    it('is claimed once: the same Page again is fine, another Page is refused and told whose it is', async () => {
      expect(await owned().claimOwner('page-a', { requireEmpty: true })).toEqual({ ok: true, created: true });
      expect(await owned().claimOwner('page-a', { requireEmpty: true })).toEqual({ ok: true, created: false });
      expect(await owned().claimOwner('page-a', { requireEmpty: false })).toEqual({ ok: true, created: false });
      expect(await owned().claimOwner('demo-page', { requireEmpty: false })).toEqual({ ok: false, owner: 'page-a' });
      expect(await owned().claimOwner('demo-page', { requireEmpty: true })).toEqual({ ok: false, owner: 'page-a' });
    });

    it('data without a marker: refused when the claim requires its own store, adopted otherwise', async () => {
      await store.inbox.append([req(0, 'u', 1)]);
      expect(await owned().claimOwner('demo-page', { requireEmpty: true })).toEqual({ ok: false, owner: null });
      expect(await owned().claimOwner('page-a', { requireEmpty: false })).toEqual({ ok: true, created: true });
      expect(await owned().claimOwner('demo-page', { requireEmpty: true })).toEqual({ ok: false, owner: 'page-a' });
    });
  });
});
