import pino from 'pino';
import { audienceCardOf } from '../../src/audience/audienceCard';
import { initialUserState } from '../../src/engine/userState';
import { createMetrics } from '../../src/metrics';
import { applyBatch } from '../../src/runtime/applyBatch';
import type { Handler } from '../../src/runtime/handler';
import { StateCache } from '../../src/runtime/stateCache';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { CommitRequest, InboxItem, StateStore } from '../../src/store/ports';
import { textOf, textRecord } from '../support/inboxRecords';

interface TagState {
  readonly tag: string;
  readonly n: number;
}

/** A user's card is their tag; "moving" ones expire a day after `now` (so the expiry moves with the clock). */
const handler: Handler<TagState> = {
  decode: (data) => (data ?? { tag: 'a', n: 0 }) as TagState,
  handle: (state, item) => ({ state: { tag: textOf(item.record) ?? state.tag, n: state.n + 1 }, effects: [] }),
  audienceCard: (state) => audienceCardOf({ ...initialUserState(), tags: [state.tag] }),
  expireAt: (state, now) => (state.tag === 'moving' ? now + 86_400_000 : 8.64e15),
};

/**
 * The audience-index write of each commit: the card goes with a user's first commit after a load,
 * and afterwards only when it changed; an expiry that moves with the clock is no change (the card
 * before and after are compared at the same moment).
 */
it('writes a card first, then only when it changed, its expiry included', async () => {
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const commits: CommitRequest[] = [];
  const states = new Proxy(store.states, {
    get: (target, prop, receiver) =>
      prop === 'commit'
        ? (c: CommitRequest) => (commits.push(c), target.commit(c))
        : (Reflect.get(target, prop, receiver) as unknown),
  }) as StateStore;
  let clock = Date.now();
  const ctx = { states, handler, logger: pino({ level: 'silent' }), metrics: createMetrics(), now: () => clock };
  const cache = new StateCache<TagState>(100);
  let after = '0-0';
  let n = 0;
  /** Applies one text of the user, alone in its batch; the audience field of its commit. */
  const apply = async (text: string) => {
    await store.inbox.append([{ partition: 0, dedupeKey: `d${++n}`, record: textRecord('u', n, text) }]);
    const items = (await store.inbox.readNew(new Map([[0, after]]), 100, 1)).filter(
      (r): r is InboxItem & { type: 'item' } => r.type === 'item',
    );
    after = items.at(-1)?.id ?? after;
    expect(await applyBatch(ctx, items, token, cache)).toEqual({ type: 'applied', count: 1 });
    const audience = commits.at(-1)?.items[0]?.audience;
    return audience === undefined || audience === null ? audience : (JSON.parse(audience) as { tags?: unknown });
  };

  expect(await apply('a')).toMatchObject({ tags: ['a'] }); // loaded from the store: written
  expect(await apply('a')).toBeUndefined(); // the same card
  expect(await apply('b')).toMatchObject({ tags: ['b'] });
  expect(await apply('b')).toBeUndefined();
  expect(await apply('moving')).toMatchObject({ tags: ['moving'] });
  clock += 60_000; // a minute later: the expiry moved, the card did not change
  expect(await apply('moving')).toBeUndefined();
  expect(await apply('c')).toMatchObject({ tags: ['c'] });
});
