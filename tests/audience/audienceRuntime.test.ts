import pino from 'pino';
import { audienceCardOf } from '../../src/audience/audienceCard';
import { decodeUserState, type UserState } from '../../src/engine/userState';
import { createMetrics } from '../../src/metrics';
import { applyBatch } from '../../src/runtime/applyBatch';
import type { Handler } from '../../src/runtime/handler';
import { StateCache } from '../../src/runtime/stateCache';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AudienceStore, CommitItem, CommitRequest, InboxItem, StateStore } from '../../src/store/ports';

/**
 * The runtime's side of the audience index: applyBatch passes a card to the commit only when it
 * changed (so an event that changes nothing a filter reads costs nothing), always on a user's
 * first item after their state was loaded (the index may not have it yet), and the card carries
 * the retention expiry.
 */
const T0 = 1_780_000_000_000;

/** A tiny handler over the real user state: "tag:NAME" adds a tag, anything else only counts. */
const handler = (expireAt?: (s: UserState, now: number) => number): Handler<UserState> => ({
  decode: decodeUserState,
  handle: (state, item) => {
    const text = String((item.record.event.raw.message as { text: string }).text);
    const next = { ...state, inbound: state.inbound + 1 };
    return { state: text.startsWith('tag:') ? { ...next, tags: [...next.tags, text.slice(4)] } : next, effects: [] };
  },
  audienceCard: audienceCardOf,
  ...(expireAt ? { expireAt } : {}),
});

let n = 0;
const said = (user: string, text: string): InboxItem => {
  n += 1;
  const event = {
    kind: 'message' as const,
    channel: 'messaging' as const,
    pageId: 'page',
    userId: user,
    timestamp: T0 + n,
    dedupeKey: `mid:${n}`,
    raw: { message: { mid: `m${n}`, text } },
  };
  return { id: `${T0 + n}-0`, partition: 2, record: { source: 'webhook', event } };
};

function setup(h: Handler<UserState>) {
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const commits: CommitItem[] = [];
  // Every commit the runtime asks for is recorded, then done by the real store.
  const states = new Proxy(store.states, {
    get: (target, prop, receiver) =>
      prop === 'commit'
        ? (r: CommitRequest) => {
            commits.push(...r.items);
            return target.commit(r);
          }
        : (Reflect.get(target, prop, receiver) as unknown),
  }) as StateStore;
  const ctx = { states, handler: h, logger: pino({ level: 'silent' }), metrics: createMetrics(), now: () => T0 + 1000 };
  const cards = async () => {
    const page = await (store.audience as AudienceStore).cards(2, '0', 100);
    return Object.fromEntries(page.cards.map((c) => [c.userKey, JSON.parse(c.json) as Record<string, unknown>]));
  };
  return { store, ctx, commits, cards };
}

describe('audience cards from the runtime', () => {
  it('writes a card with the state, again only when it changes, and always after a fresh load', async () => {
    const { store, ctx, commits, cards } = setup(handler());
    const token = (await store.leases.acquire(2, 'w', 60_000)) as string;
    const cache = new StateCache<UserState>(100);
    await applyBatch(ctx, [said('a', 'hello'), said('b', 'tag:vip')], token, cache);
    expect(Object.keys(await cards()).sort()).toEqual(['page:a', 'page:b']);
    expect((await cards())['page:b']).toMatchObject({ tags: ['vip'], thread: 'bot' });

    commits.length = 0;
    await applyBatch(ctx, [said('a', 'again'), said('a', 'tag:gold'), said('a', 'once more')], token, cache);
    // Nothing a filter reads changed on the first and third items: no card written for them.
    expect(commits.map((c) => c.audience === undefined)).toEqual([true, false, true]);
    expect((await cards())['page:a']).toMatchObject({ tags: ['gold'] });

    // A worker that loads the user from the store (here: an empty cache) writes the card anyway.
    commits.length = 0;
    await applyBatch(ctx, [said('b', 'hi'), said('b', 'hi')], token, new StateCache<UserState>(100));
    expect(commits.map((c) => typeof c.audience)).toEqual(['string', 'undefined']);
  });

  it('puts the retention expiry on the card, so a forgotten user counts as gone', async () => {
    const { store, ctx, cards } = setup(handler((_s, now) => now + 5000));
    const token = (await store.leases.acquire(2, 'w', 60_000)) as string;
    await applyBatch(ctx, [said('c', 'hello')], token, new StateCache<UserState>(10));
    expect((await cards())['page:c']?.exp).toBe(T0 + 6000);
  });
});
