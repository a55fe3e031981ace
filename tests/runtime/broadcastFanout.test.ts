import pino from 'pino';
import { audienceCardOf, cardJson } from '../../src/audience/audienceCard';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { createMetrics } from '../../src/metrics';
import { BroadcastFanout } from '../../src/runtime/broadcastFanout';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { userKeyOf } from '../../src/store/partitionOf';
import type { BroadcastRecord, BroadcastStore, InboxRead, Store } from '../../src/store/ports';

/**
 * The fan-out on the memory store (same contract as Redis): it walks each running broadcast's
 * audience per partition, paced by the partition's backlog, keeps its place, waits for a schedule,
 * skips paused broadcasts, sends local-hour broadcasts through user timers, and finishes.
 */
const PAGE = 'p';
const T0 = Date.UTC(2026, 10, 23, 15); // 16:00 in Paris, 10:00 in New York
let clock = T0;
let store: Store & { broadcasts: BroadcastStore };
let fanout: BroadcastFanout;

const state = (over: Partial<UserState>): UserState => ({
  ...initialUserState(),
  inbound: 1,
  lastInboundAt: T0,
  windowEndsAt: T0 + 86_400_000,
  consent: { offers: { subscribed: true, at: T0, source: 'test' } },
  ...over,
});

/** Commits users' states and audience cards into partition 0 as a worker would. */
async function seed(users: ReadonlyArray<{ psid: string; state: UserState }>): Promise<void> {
  const token = (await store.leases.acquire(0, 'seeder', 60_000)) as string;
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: users.map((u, i) => ({
      itemId: `1-${i + 1}`,
      userKey: userKeyOf(PAGE, u.psid),
      expectedVersion: 0,
      data: u.state,
      effects: [],
      audience: cardJson(audienceCardOf(u.state), undefined),
    })),
  });
  await store.leases.release(0, token);
}

const record = (id: string, definition: Record<string, unknown>, over: Partial<BroadcastRecord> = {}): BroadcastRecord => ({
  id,
  definition: JSON.stringify({ id, name: id, kind: 'promotional', topic: 'offers', messages: [{ text: 'hi' }], ...definition }),
  status: 'running',
  createdAt: clock,
  createdBy: 'test',
  startAt: clock,
  updatedAt: clock,
  ...over,
});

const inbox = async (): Promise<Extract<InboxRead, { type: 'item' }>[]> =>
  (await store.inbox.readNew(new Map([[0, '0-0']]), 1000, 1)).filter(
    (r): r is Extract<InboxRead, { type: 'item' }> => r.type === 'item',
  );

/** The lanes apply every item waiting in the inbox (the cursor passes them), as a worker would. */
async function applyAll(): Promise<void> {
  const cursor = await store.inbox.cursor(0);
  const items = (await store.inbox.readNew(new Map([[0, cursor]]), 1000, 1)).filter((r) => r.type === 'item');
  const token = (await store.leases.acquire(0, `w${cursor}`, 60_000)) as string;
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: items.map((i) => ({
      itemId: i.id,
      userKey: `x:${i.id}`,
      expectedVersion: 0,
      data: null,
      writeState: false as const,
      effects: [],
    })),
  });
  await store.leases.release(0, token);
}

/** Steps until the fan-out says it has nothing to do. */
async function drain(): Promise<number> {
  let steps = 0;
  while (await fanout.step(0)) steps += 1;
  return steps;
}

beforeEach(() => {
  clock = T0;
  store = createMemoryStore({ dedupeTtlSeconds: 60, now: () => clock }) as Store & { broadcasts: BroadcastStore };
  fanout = new BroadcastFanout({
    store,
    pageId: PAGE,
    partitions: 1,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    now: () => clock,
    backlog: 5,
    activeTtlMs: 0,
  });
});

it('appends one item per member to their lane, paced by the backlog, and finishes the broadcast', async () => {
  await seed([
    ...Array.from({ length: 8 }, (_, i) => ({ psid: `in${i}`, state: state({}) })),
    { psid: 'out', state: state({ consent: {} }) },
  ]);
  await store.broadcasts.create(record('b1', { audience: { where: ['consent.offers=yes'] } }));
  expect(await drain()).toBe(1); // room for 5 only: the rest waits until the lane takes them
  expect((await inbox()).map((i) => i.record.event.raw)).toEqual(Array(5).fill({ broadcast: 'b1' }));
  expect(await fanout.step(0)).toBe(false);
  expect((await store.broadcasts.fanout('b1', 0)).type).toBe('at');

  // The worker applied them (the cursor passes them): room again.
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const applied = await inbox();
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: applied.map((i) => ({
      itemId: i.id,
      userKey: userKeyOf(PAGE, i.record.event.userId),
      expectedVersion: 1,
      data: state({}),
      effects: [],
    })),
  });
  await store.leases.release(0, token);
  await drain();
  const after = (await store.inbox.readNew(new Map([[0, applied.at(-1)?.id ?? '0-0']]), 100, 1)).filter((r) => r.type === 'item');
  const users = [...applied, ...after].map((i) => (i.type === 'item' ? i.record.event.userId : '')).sort();
  expect(users).toEqual(Array.from({ length: 8 }, (_, i) => `in${i}`));
  // Walked, but done only once the lanes applied what it appended: every decision is counted then.
  expect(await store.broadcasts.fanout('b1', 0)).toEqual({ type: 'draining' });
  expect((await store.broadcasts.get('b1'))?.status).toBe('running');
  await applyAll();
  await drain();
  expect(await store.broadcasts.fanout('b1', 0)).toEqual({ type: 'done' });
  expect((await store.broadcasts.get('b1'))?.status).toBe('done');
});

it('waits for a scheduled time, then starts; a paused broadcast appends nothing', async () => {
  await seed([{ psid: 'a', state: state({}) }]);
  await store.broadcasts.create(record('later', { audience: { all: [] } }, { status: 'scheduled', startAt: T0 + 60_000 }));
  expect(await drain()).toBe(0);
  expect(await inbox()).toEqual([]);
  clock = T0 + 61_000;
  await drain();
  expect(await inbox()).toHaveLength(1);
  await applyAll();
  await drain();
  expect((await store.broadcasts.get('later'))?.status).toBe('done');

  await store.broadcasts.create(record('held', { audience: { all: [] } }, { status: 'paused' }));
  expect(await drain()).toBe(0);
  expect(await store.inbox.pendingCounts([0])).toEqual([0]);
});

it('a local-hour broadcast waits in each user timer until their own 18:00 (zone, offset, else the Page zone)', async () => {
  await seed([
    { psid: 'paris', state: state({ fields: { timezone: 'Europe/Paris' } }) },
    { psid: 'ny', state: state({ profile: { ok: true, at: T0, timezone: -5 } }) },
    { psid: 'nozone', state: state({}) },
  ]);
  await store.broadcasts.create(record('evening', { audience: { all: [] }, at: 'local 18:00' }));
  await drain();
  expect(await inbox()).toEqual([]);
  const due = async (psid: string) => (await store.timers.pending(0, userKeyOf(PAGE, psid)))[0]?.dueAt;
  expect(new Date((await due('paris')) ?? 0).toISOString()).toBe('2026-11-23T17:00:00.000Z');
  expect(new Date((await due('ny')) ?? 0).toISOString()).toBe('2026-11-23T23:00:00.000Z');
  expect(new Date((await due('nozone')) ?? 0).toISOString()).toBe('2026-11-23T18:00:00.000Z'); // UTC: no Page zone set
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  expect(await store.timers.fireDue(0, token, Date.parse('2026-11-23T17:00:00Z'), 10)).toBe(1);
  expect((await inbox()).map((i) => [i.record.event.userId, i.record.event.raw])).toEqual([['paris', { broadcast: 'evening' }]]);
});
