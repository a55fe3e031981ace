import pino from 'pino';
import { audienceCardOf } from '../../src/audience/audienceCard';
import type { AudienceFilter } from '../../src/audience/audienceFilter';
import { audienceCount, audienceWalk } from '../../src/audience/audienceWalk';
import { matches } from '../../src/audience/matches';
import { parseWhere } from '../../src/audience/parseWhere';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { createMetrics } from '../../src/metrics';
import { applyBatch } from '../../src/runtime/applyBatch';
import type { Handler } from '../../src/runtime/handler';
import { StateCache } from '../../src/runtime/stateCache';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { AudienceStore, InboxItem, Store } from '../../src/store/ports';
import { deletePrefix } from '../support/redisKeys';
import { uniquePrefix } from '../support/testEnv';
import { openTestStore } from '../support/openTestStore';

/**
 * End to end on Redis: 2,000 users with varied states committed by the runtime across 8
 * partitions; the streamed count (small chunks, so every partition takes several) equals a
 * brute-force count over the same states, per partition and in total, for a set of filters.
 */
const NOW = 1_780_000_000_000;
const H = 3_600_000;
const P = 8;
const USERS = 2000;

/** A fixed pseudo-random sequence: the same users every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function userStates(): Map<string, UserState> {
  const r = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const states = new Map<string, UserState>();
  for (let i = 0; i < USERS; i++) {
    const tags = ['vip', 'shoes', 'blocked', 'buyer'].filter(() => r() < 0.3);
    const fields: UserState['fields'] = {};
    if (r() < 0.7) fields.city = pick(['Paris', 'Lyon', 'Nice', 'Berlin']);
    if (r() < 0.6) fields.age = Math.floor(r() * 70) + 12;
    if (r() < 0.4) fields.email = `user${i}@${pick(['example.com', 'mail.fr'])}`;
    if (r() < 0.2) fields.ref = pick(['summer-sale', 'winter']);
    const consent: UserState['consent'] = {};
    if (r() < 0.6) consent.offers = { subscribed: r() < 0.7, at: NOW - H, source: 'flow' };
    const last = r() < 0.1 ? null : NOW - Math.floor(r() * 30 * 24 * H);
    const position = r() < 0.8 ? { flow: pick(['shop', 'faq']), version: 'v1', node: pick(['menu', 'checkout']) } : null;
    states.set(`u${i}`, {
      ...initialUserState(),
      tags,
      fields,
      consent,
      lastInboundAt: last,
      windowEndsAt: last === null ? null : last + (r() < 0.2 ? 7 * 24 : 24) * H,
      position,
      thread: r() < 0.05 ? 'human' : 'bot',
    });
  }
  return states;
}

const FILTERS: Array<[string, AudienceFilter]> = [
  ['everyone', { all: [] }],
  ['where', (parseWhere(['tag=vip', 'tag!=blocked', 'consent.offers=yes']) as { filter: AudienceFilter }).filter],
  ['window', (parseWhere(['window=open', 'field.age>=18']) as { filter: AudienceFilter }).filter],
  ['closing', (parseWhere(['window<12h']) as { filter: AudienceFilter }).filter],
  [
    'fields',
    (parseWhere(['field.city in Paris,Lyon', 'field.email contains example', 'last<7d']) as { filter: AudienceFilter }).filter,
  ],
  ['position', (parseWhere(['node=shop/checkout', 'ref=summer-sale']) as { filter: AudienceFilter }).filter],
  ['any', { all: [{ any: [{ thread: 'human' }, { field: 'age', lt: 16 }] }] }],
];

describe('audience count on Redis', () => {
  let store: Store;
  let prefix: string;
  const states = userStates();

  beforeAll(async () => {
    prefix = uniquePrefix('audcount');
    store = await openTestStore(prefix, { timeoutMs: 10_000 });
    // Each user's one event sets their prepared state; the runtime writes state and card together.
    const handler: Handler<UserState> = {
      decode: decodeUserState,
      handle: (_state, item) => ({ state: states.get(item.record.event.userId) as UserState, effects: [] }),
      audienceCard: audienceCardOf,
    };
    const ctx = { states: store.states, handler, logger: pino({ level: 'silent' }), metrics: createMetrics(), now: () => NOW };
    const byPartition = new Map<number, InboxItem[]>();
    let n = 0;
    for (const user of states.keys()) {
      const partition = partitionOf('page', user, P);
      n += 1;
      const event = {
        kind: 'message' as const,
        channel: 'messaging' as const,
        pageId: 'page',
        userId: user,
        timestamp: NOW,
        dedupeKey: `m${n}`,
        raw: {},
      };
      byPartition.set(partition, [
        ...(byPartition.get(partition) ?? []),
        { id: `${NOW + n}-0`, partition, record: { source: 'webhook', event } },
      ]);
    }
    for (const [partition, items] of byPartition) {
      const token = (await store.leases.acquire(partition, 'w', 60_000)) as string;
      for (let i = 0; i < items.length; i += 64)
        expect(await applyBatch(ctx, items.slice(i, i + 64), token, new StateCache<UserState>(1000))).toEqual({
          type: 'applied',
          count: items.slice(i, i + 64).length,
        });
    }
  });
  afterAll(async () => {
    await store.close();
    await deletePrefix(prefix);
  });

  const partitions = Array.from({ length: P }, (_, p) => p);
  const brute = (filter: AudienceFilter) => {
    const per = partitions.map(() => 0);
    for (const [user, state] of states)
      if (matches(audienceCardOf(state), filter, NOW)) {
        const p = partitionOf('page', user, P);
        per[p] = (per[p] ?? 0) + 1;
      }
    return per;
  };

  it.each(FILTERS)('counts "%s" as a brute-force count does, per partition', async (_name, filter) => {
    const expected = brute(filter);
    const progress: number[] = [];
    const got = await audienceCount(store.audience as AudienceStore, partitions, filter, NOW, {
      chunk: 100,
      onPartition: (done) => progress.push(done),
    });
    expect(got.perPartition).toEqual(expected);
    expect(got.count).toBe(expected.reduce((a, b) => a + b, 0));
    expect(got.scanned).toBe(USERS);
    expect(got.unreadable).toBe(0);
    expect(progress).toEqual(partitions.map((p) => p + 1));
    if (_name !== 'everyone') expect(got.count).toBeGreaterThan(0); // every filter selects someone, and not everyone
    if (_name !== 'everyone') expect(got.count).toBeLessThan(USERS);
  });

  it('walks the members once each, with their partition', async () => {
    const filter = FILTERS[1]?.[1] as AudienceFilter;
    const seen = new Map<string, number>();
    for await (const m of audienceWalk(store.audience as AudienceStore, partitions, filter, NOW, { chunk: 100 }))
      seen.set(m.userKey, (seen.get(m.userKey) ?? 0) + 1);
    const expected = [...states].filter(([, s]) => matches(audienceCardOf(s), filter, NOW)).map(([u]) => userKeyOf('page', u));
    expect([...seen.keys()].sort()).toEqual(expected.sort());
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
  });
});
