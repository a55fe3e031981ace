import pino from 'pino';
import { broadcastRecord } from '../../src/broadcasts/broadcastRecord';
import { createMetrics } from '../../src/metrics';
import { applyBatch } from '../../src/runtime/applyBatch';
import { StateCache } from '../../src/runtime/stateCache';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { InboxItem, InboxRecord } from '../../src/store/ports';
import { counterHandler, type CounterState } from '../support/counterHandler';
import { textRecord } from '../support/inboxRecords';

/**
 * The worker's state cache under a broadcast: users met only by a bulk item (a broadcast) are
 * not cached unless they were already, so a broadcast to everyone neither holds every recipient's
 * state in memory nor pushes out the users who are talking to the bot.
 */
it('caches users who act, keeps cached users fresh, and does not add users met only by a broadcast', async () => {
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const cache = new StateCache<CounterState>(100);
  const ctx = {
    states: store.states,
    handler: counterHandler,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    now: Date.now,
  };
  let after = '0-0';
  const apply = async (records: InboxRecord[]) => {
    await store.inbox.append(records.map((record, i) => ({ partition: 0, dedupeKey: `${after}-${i}`, record })));
    const items = (await store.inbox.readNew(new Map([[0, after]]), 100, 1)).filter(
      (r): r is InboxItem & { type: 'item' } => r.type === 'item',
    );
    after = items.at(-1)?.id ?? after;
    expect(await applyBatch(ctx, items, token, cache)).toEqual({ type: 'applied', count: items.length });
  };
  const key = (psid: string) => `p:${psid}`;

  await apply([textRecord('talker', 1, 'hi')]);
  expect(cache.get(key('talker'))?.version).toBe(1);
  await apply([broadcastRecord('p', key('talker'), 'b1', Date.now()), broadcastRecord('p', key('quiet'), 'b1', Date.now())]);
  expect(cache.get(key('talker'))?.version).toBe(2); // already cached: kept, and fresh
  expect(cache.get(key('quiet'))).toBeUndefined(); // met only by the broadcast: not added
  expect((await store.states.load(0, key('quiet'))).version).toBe(1); // its state was committed all the same
  await apply([textRecord('quiet', 2, 'hello')]);
  expect(cache.get(key('quiet'))?.version).toBe(2); // acting puts them in
});
