import type { EngineEffect } from '../../src/engine/effects';
import { createMetrics } from '../../src/metrics';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { runOnPartition0, testSenderOptions } from '../support/testSender';
import { tombstoneIdOf } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { StateStore, Store } from '../../src/store/ports';
import { startTestGraphApi, testGraphClient } from '../support/testGraphApi';
import { textRecord } from '../support/inboxRecords';
import { waitFor } from '../support/webhookClient';

/**
 * The race an erase leaves: the sender read a user's entries just before the erase removed them
 * from the outbox. A handover, its timer or a staff notice must not act then: the handover's
 * report (through the user's lane) or the timer would bring a state back for the erased user.
 */
it('entries of an erased user that the sender had already read do not act', async () => {
  const fake = await startTestGraphApi({ pageId: 'p' });
  const graph = testGraphClient(fake, { pageId: 'p' });
  const base = createMemoryStore({ dedupeTtlSeconds: 60 });
  const token = (await base.leases.acquire(0, 'w', 600_000)) as string;
  const now = Date.now();
  await base.inbox.append([{ partition: 0, dedupeKey: 'a', record: textRecord('gone', 1, 'a person please') }]);
  const [item] = await base.inbox.readNew(new Map([[0, '0-0']]), 10, 10);
  const effects: EngineEffect[] = [
    { type: 'schedule', timer: 'handover_timeout', id: 't1', at: now + 3_600_000 },
    { type: 'handover', reason: 'asked', metadata: {} },
    { type: 'notify', text: 'someone asked for a person', reason: 'asked' },
  ];
  const commit = { itemId: item?.id ?? '', userKey: 'p:gone', expectedVersion: 0, data: {}, effects: effects.map(encodeEffect) };
  await base.states.commit({ partition: 0, leaseToken: token, items: [commit] });
  const readBeforeErase = await base.states.readOutbox(0, '0-0', 10);
  expect(readBeforeErase).toHaveLength(3);

  // The erase, as the worker applies it at the head of the user's lane.
  await base.inbox.append([{ partition: 0, dedupeKey: 'b', record: textRecord('gone', 2, 'erase me') }]);
  const [eraseItem] = await base.inbox.readNew(new Map([[0, item?.id ?? '']]), 10, 10);
  const erased = await base.states.forget(0, token, eraseItem?.id ?? '', 'p:gone', {
    id: tombstoneIdOf('p:gone'),
    // The erase happens now, after the item was appended (on a loaded machine that can be many ms after `now`).
    deletedAt: Date.now(),
  });
  expect(erased).toBe('forgotten');

  // The sender's first read happened before the erase.
  let reads = 0;
  const states = new Proxy(base.states, {
    get(target, key: keyof StateStore) {
      if (key === 'readOutbox')
        return async (...args: Parameters<StateStore['readOutbox']>) =>
          reads++ === 0 ? readBeforeErase : target.readOutbox(...args);
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const store: Store = Object.assign(Object.create(Object.getPrototypeOf(base) as object) as Store, base, { states });
  const metrics = createMetrics();
  const sender = new OutboxSender(testSenderOptions(store, graph, { metrics }));
  const run = runOnPartition0(sender, token);
  try {
    await waitFor('the three entries finished', async () => {
      const finished = (await metrics.deliveries.get()).values.reduce((sum, v) => sum + v.value, 0);
      return finished >= 3 ? true : undefined;
    });
    const outcomes = (await metrics.deliveries.get()).values.map((v) => [v.labels.type, v.labels.outcome, v.value]);
    expect(outcomes.sort()).toEqual([
      ['handover', 'erased', 1],
      ['notify', 'erased', 1],
      ['schedule', 'erased', 1],
    ]);
    expect(fake.calls.filter((c) => c.endpoint !== 'unknown')).toEqual([]); // no pass_thread_control, nothing to Meta
    expect(await base.timers.fireDue(0, token, now + 10 * 3_600_000, 10)).toBe(0); // no timer armed
    expect(await base.inbox.pendingCounts([0])).toEqual([0]); // no report in the lane
    expect(await base.states.load(0, 'p:gone')).toEqual({ version: 0, data: null });
  } finally {
    await run.stop();
    graph.close();
    await fake.stop();
  }
});
