import pino from 'pino';
import { audienceCardOf } from '../../src/audience/audienceCard';
import { audienceCount } from '../../src/audience/audienceWalk';
import { initialUserState } from '../../src/engine/userState';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AudienceStore, CommitItem, Store } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { deletePrefix } from '../support/redisKeys';
import { TEST_REDIS_URL, uniquePrefix } from '../support/testEnv';

/**
 * The audience index (keys.ts `audience`), both adapters: a card is written, kept or removed by
 * the same commit that writes the state, all or nothing per item, and a partition's cards can be
 * read in chunks, each card once.
 */
type Factory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
const adapters: Array<[string, Factory]> = [
  ['memory', async () => ({ store: createMemoryStore({ dedupeTtlSeconds: 60 }), cleanup: async () => undefined })],
  [
    'redis',
    async () => {
      const keyPrefix = uniquePrefix('audience');
      const store = await createRedisStore({
        url: TEST_REDIS_URL,
        keyPrefix,
        dedupeTtlSeconds: 60,
        timeoutMs: 5000,
        logger: pino({ level: 'silent' }),
      });
      return { store, cleanup: () => deletePrefix(keyPrefix) };
    },
  ],
];

const card = audienceCardOf(initialUserState());

/** Item ids only need to be after the cursor: the commit does not read the inbox entry. */
let seq = 0;
const nextId = () => `${1_000_000 + ++seq}-0`;
const item = (userKey: string, expectedVersion: number, audience?: string | null): CommitItem => ({
  itemId: nextId(),
  userKey,
  expectedVersion,
  data: { v: expectedVersion + 1 },
  effects: [],
  ...(audience === undefined ? {} : { audience }),
});

async function allCards(audience: AudienceStore, partition: number, chunk: number) {
  const seen: Array<[string, string]> = [];
  let pages = 0;
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page = await audience.cards(partition, cursor, chunk);
    pages += 1;
    seen.push(...page.cards.map((c) => [c.userKey, c.json] as [string, string]));
    cursor = page.next;
  }
  return { seen: seen.sort((a, b) => a[0].localeCompare(b[0])), pages };
}

describe.each(adapters)('%s audience index', (_name, make) => {
  let store: Store;
  let audience: AudienceStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await make());
    audience = store.audience as AudienceStore;
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('writes, keeps and removes a card in the commit; a stale or fenced item changes no card', async () => {
    expect(audience).toBeDefined();
    const token = (await store.leases.acquire(3, 'w', 10_000)) as string;
    const commit = (items: CommitItem[], leaseToken = token) => store.states.commit({ partition: 3, leaseToken, items });
    expect(await commit([item('page:a', 0, '{"n":1}'), item('page:b', 0, '{"n":2}')])).toEqual({
      type: 'committed',
      applied: [true, true],
    });
    expect((await allCards(audience, 3, 10)).seen).toEqual([
      ['page:a', '{"n":1}'],
      ['page:b', '{"n":2}'],
    ]);
    // undefined leaves the card as it is; a new text replaces it; null removes it.
    await commit([item('page:a', 1), item('page:b', 1, '{"n":3}')]);
    expect((await allCards(audience, 3, 10)).seen).toEqual([
      ['page:a', '{"n":1}'],
      ['page:b', '{"n":3}'],
    ]);
    await commit([item('page:a', 2, null)]);
    expect((await allCards(audience, 3, 10)).seen).toEqual([['page:b', '{"n":3}']]);
    // A stale version: that item (and later ones) write nothing, the card included.
    expect(await commit([item('page:b', 7, '{"stale":true}'), item('page:c', 0, '{"n":4}')])).toMatchObject({
      type: 'stale_version',
      index: 0,
    });
    // Without the lease: nothing.
    expect(await commit([item('page:c', 0, '{"n":4}')], 'someone-else#9')).toEqual({ type: 'lease_lost' });
    expect((await allCards(audience, 3, 10)).seen).toEqual([['page:b', '{"n":3}']]);
    // Other partitions have their own index.
    expect((await allCards(audience, 4, 10)).seen).toEqual([]);
  });

  it('prunes the card of a user whose state retention removed, never the card of a live state', async () => {
    const token = (await store.leases.acquire(6, 'w', 10_000)) as string;
    const gone = { ...item('page:gone', 0, JSON.stringify({ ...card, exp: 1 })), expireAt: 1 }; // expired at once
    const live = item('page:live', 0, JSON.stringify(card));
    await store.states.commit({ partition: 6, leaseToken: token, items: [gone, live] });
    expect((await store.states.load(6, 'page:gone')).version).toBe(0);
    expect((await allCards(audience, 6, 10)).seen.map(([u]) => u)).toEqual(['page:gone', 'page:live']);
    expect(await audience.prune(6, 'page:live')).toBe(false);
    // A count meets the expired card and removes it on the way; it never counts it.
    const counted = await audienceCount(audience, [6], { all: [] }, Date.now());
    expect(counted).toMatchObject({ count: 1, scanned: 2, pruned: 1 });
    expect((await allCards(audience, 6, 10)).seen.map(([u]) => u)).toEqual(['page:live']);
    expect(await audience.prune(6, 'page:gone')).toBe(false); // nothing left to remove
  });

  it('reads a partition in chunks: every card exactly once across chunk boundaries', async () => {
    const token = (await store.leases.acquire(5, 'w', 10_000)) as string;
    // 700 users: past Redis's small-hash encoding (hash-max-listpack-entries, 512 in this build;
    // 128 in some), below which HSCAN answers the whole hash at once.
    const users = Array.from({ length: 700 }, (_, i) => `page:user-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < users.length; i += 100)
      await store.states.commit({
        partition: 5,
        leaseToken: token,
        items: users.slice(i, i + 100).map((u) => item(u, 0, JSON.stringify({ u }))),
      });
    const { seen, pages } = await allCards(audience, 5, 100);
    expect(pages).toBeGreaterThan(1);
    expect(seen.map(([u]) => u)).toEqual(users);
    expect(seen.every(([u, json]) => JSON.parse(json).u === u)).toBe(true);
  });
});
