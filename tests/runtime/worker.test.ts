import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import type { Handler } from '../../src/runtime/handler';
import { counterHandler, type CounterState } from '../support/counterHandler';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { Worker } from '../../src/runtime/worker';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AppendRequest, Store } from '../../src/store/ports';
import { waitFor } from '../support/webhookClient';

const PARTITIONS = 8;
const logger = pino({ level: 'silent' });

// Leases renew every third of the TTL; 3 s holds through the stalls of a busy machine (a lease
// lost by accident only slows these tests down, but it is not what they are about).
function worker(store: Store, id: string, handler: Handler<CounterState> = counterHandler, leaseTtlMs = 3000) {
  return new Worker({
    store,
    handler,
    partitions: PARTITIONS,
    workerId: id,
    leaseTtlMs,
    logger,
    metrics: createMetrics(),
    readBlockMs: 50,
  });
}

let n = 0;
function events(userId: string, count: number): AppendRequest[] {
  return Array.from({ length: count }, () => {
    n += 1;
    return {
      partition: partitionOf('p', userId, PARTITIONS),
      dedupeKey: `mid:${n}`,
      record: {
        source: 'webhook',
        event: { kind: 'message', channel: 'messaging', pageId: 'p', userId, timestamp: n, dedupeKey: `mid:${n}`, raw: {} },
      },
    };
  });
}
const stateOf = (store: Store, userId: string) => store.states.load(partitionOf('p', userId, PARTITIONS), userKeyOf('p', userId));
const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);

describe('Worker (memory store)', () => {
  it('takes every partition alone, then shares them fairly when a second worker joins', async () => {
    const store = createMemoryStore({ dedupeTtlSeconds: 60 });
    const a = worker(store, 'a');
    await a.start();
    expect(a.heldPartitions).toHaveLength(PARTITIONS);
    const b = worker(store, 'b');
    await b.start();
    await waitFor('a fair split', () => (a.heldPartitions.length === 4 && b.heldPartitions.length === 4 ? true : undefined));
    expect([...a.heldPartitions, ...b.heldPartitions].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('applies every event once across a graceful stop, with the other worker taking over', async () => {
    const store = createMemoryStore({ dedupeTtlSeconds: 60 });
    const a = worker(store, 'a');
    const b = worker(store, 'b');
    await a.start();
    await b.start();
    for (const u of users) await store.inbox.append(events(u, 10));
    await a.stop();
    // a released its leases on stop, so b owns everything without waiting for expiry.
    await waitFor('b holds all partitions', () => (b.heldPartitions.length === PARTITIONS ? true : undefined));
    for (const u of users) await store.inbox.append(events(u, 5));
    for (const u of users) {
      const s = await waitFor(`${u} applied`, async () => {
        const st = await stateOf(store, u);
        return st.version === 15 ? st : undefined;
      });
      expect(s.data).toMatchObject({ inbound: 15 });
    }
    await b.stop();
  });

  it('applies an item whose handler throws as a no-op and carries on', async () => {
    const store = createMemoryStore({ dedupeTtlSeconds: 60 });
    let calls = 0;
    const flaky: Handler<CounterState> = {
      decode: counterHandler.decode,
      handle(state, item, now) {
        calls += 1;
        if (calls === 2) throw new Error('boom');
        return counterHandler.handle(state, item, now);
      },
    };
    const w = worker(store, 'w', flaky);
    await w.start();
    await store.inbox.append(events('solo', 3));
    const s = await waitFor('3 items applied', async () => {
      const st = await stateOf(store, 'solo');
      return st.version === 3 ? st : undefined;
    });
    expect(s.data).toMatchObject({ inbound: 2 });
    await w.stop();
  });

  it('stops working a partition whose lease it lost, leaving the items to the new holder', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ dedupeTtlSeconds: 60, now: () => now });
    const w = worker(store, 'w', counterHandler, 60_000);
    await w.start();
    const p = partitionOf('p', 'late', PARTITIONS);
    // Time jumps past the lease TTL (a paused process); another worker takes the partition.
    now += 120_000;
    const thief = await store.leases.acquire(p, 'thief', 60_000);
    expect(thief).not.toBeNull();
    await store.inbox.append(events('late', 1));
    // The worker tries the item, its commit is refused (fencing), and it drops the partition.
    await waitFor('the partition dropped', () => (w.heldPartitions.includes(p) ? undefined : true));
    expect((await stateOf(store, 'late')).version).toBe(0);
    expect(await store.inbox.pendingCounts([p])).toEqual([1]);
    await w.stop();
  });
});
