import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import { Worker } from '../../src/runtime/worker';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { AppendRequest, CommitRequest, Store } from '../../src/store/ports';
import { counterHandler } from '../support/counterHandler';
import { waitFor } from '../support/webhookClient';

let n = 0;
const events = (count: number): AppendRequest[] =>
  Array.from({ length: count }, () => {
    n += 1;
    const event = { kind: 'message' as const, channel: 'messaging' as const, pageId: 'p', userId: `u${n % 3}`, timestamp: n };
    return {
      partition: 0,
      dedupeKey: `mid:${n}`,
      record: { source: 'webhook', event: { ...event, dedupeKey: `mid:${n}`, raw: {} } },
    };
  });

/**
 * Items that arrive together are committed together: everything one inbox read returns for a
 * partition is queued before the partition's drain takes its batch (kicked per item, the drain
 * took the first item alone and committed the rest in a second round trip).
 */
it("commits one read's items of a partition in one batch", async () => {
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const commits: number[] = [];
  const counted: Store = {
    ...store,
    states: {
      ...store.states,
      load: (p, k) => store.states.load(p, k),
      commit: (c: CommitRequest) => {
        commits.push(c.items.length);
        return store.states.commit(c);
      },
    },
  };
  const w = new Worker({
    store: counted,
    handler: counterHandler,
    partitions: 1,
    workerId: 'w',
    leaseTtlMs: 10_000,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    readBlockMs: 50,
  });
  await w.start();
  try {
    // A lease no holder left unreleased starts with batches (PoisonGuard is careful only after a crash).
    await store.inbox.append(events(32));
    await waitFor('the 32 applied', () => (commits.reduce((a, b) => a + b, 0) === 32 ? true : undefined));
    expect(commits).toEqual([32]);
    commits.length = 0;
    await store.inbox.append(events(10));
    await waitFor('the 10 applied', () => (commits.reduce((a, b) => a + b, 0) === 10 ? true : undefined));
    expect(commits).toEqual([10]);
  } finally {
    await w.stop();
  }
});
