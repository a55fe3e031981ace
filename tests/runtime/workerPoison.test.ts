import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import type { Handler } from '../../src/runtime/handler';
import { MAX_SET_ASIDE_STREAK } from '../../src/runtime/poisonGuard';
import { Worker } from '../../src/runtime/worker';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { InboxRecord, Store } from '../../src/store/ports';
import { counterHandler, type CounterState } from '../support/counterHandler';
import { redisFixture } from '../support/redisFixture';
import { textRecord, textOf } from '../support/inboxRecords';
import { waitFor } from '../support/webhookClient';

/**
 * A poisoned item (one that fails every time it is applied) and an unreadable one must not stop
 * their partition, nor (since one read serves every partition a worker holds) the worker's other
 * partitions: each is set aside, kept, counted and logged, and everything after it is applied.
 */
const PARTITIONS = 2;
const usersOf = (p: number) =>
  Array.from({ length: 200 }, (_, i) => `u${i}`)
    .filter((u) => partitionOf('p', u, PARTITIONS) === p)
    .slice(0, 3) as [string, string, string];

/** The counter, except that preparing "poison" fails every time (as a bug in a lookup would). */
const poisoned: Handler<CounterState> = {
  ...counterHandler,
  prepare: async (_state, item) => {
    if (textOf(item.record) === 'poison') throw new TypeError('cannot read properties of undefined (reading "poison")');
    return item;
  },
};

function startWorker(store: Store, handler: Handler<CounterState>) {
  const metrics = createMetrics();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const worker = new Worker<CounterState>({
    store,
    handler,
    partitions: PARTITIONS,
    workerId: 'w',
    leaseTtlMs: 5000,
    logger,
    metrics,
    readBlockMs: 50,
    maxAttempts: 3,
  });
  const setAside = async (reason: string) =>
    (await metrics.inboxSetAside.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
  return { worker, logs, setAside };
}

describe('inbox items that can never be applied', () => {
  const { keys, raw, store } = redisFixture('poison');
  const version = async (p: number, user: string) => (await store().states.load(p, userKeyOf('p', user))).version;

  it('sets an item that fails every attempt aside after maxAttempts; the items after it are applied', async () => {
    const P = 0;
    const [a, b, c] = usersOf(P);
    await store().inbox.append([
      { partition: P, dedupeKey: 'p1', record: textRecord(a, 1, 'hello') },
      { partition: P, dedupeKey: 'p2', record: textRecord(b, 2, 'poison') },
      { partition: P, dedupeKey: 'p3', record: textRecord(c, 3, 'after') },
      { partition: P, dedupeKey: 'p4', record: textRecord(a, 4, 'again') },
    ]);
    const { worker, logs, setAside } = startWorker(store(), poisoned);
    await worker.start();
    try {
      await waitFor('the items after the poisoned one applied', async () =>
        (await version(P, c)) === 1 && (await version(P, a)) === 2 ? true : undefined,
      );
      expect(await version(P, b)).toBe(0); // never applied
      const [kept] = await store().inbox.setAsideItems(P, 10);
      expect(kept).toMatchObject({ reason: 'attempts', attempts: 3, detail: expect.stringContaining('TypeError') });
      expect(textOf(JSON.parse(kept?.raw ?? '') as InboxRecord)).toBe('poison');
      expect(await setAside('attempts')).toBe(1);
      expect(logs.filter((l) => String(l.msg).includes('set aside'))).toEqual([
        expect.objectContaining({ level: 50, partition: P, reason: 'attempts', attempts: 3, kind: 'message' }),
      ]);
      expect(await store().inbox.pendingCounts([P])).toEqual([0]);
    } finally {
      await worker.stop();
    }
  });

  it('sets an unreadable entry aside at once, and the other partitions of the same read keep going', async () => {
    const [a] = usersOf(0);
    const [d] = usersOf(1);
    await store().inbox.append([{ partition: 0, dedupeKey: 'c1', record: textRecord(a, 11, 'before') }]);
    const corruptId = await raw.xAdd(keys.inbox(0), '*', { r: '{"v":1,"source":' });
    await store().inbox.append([
      { partition: 0, dedupeKey: 'c2', record: textRecord(a, 12, 'after') },
      { partition: 1, dedupeKey: 'c3', record: textRecord(d, 13, 'elsewhere') },
    ]);
    const before = await version(0, a);
    const { worker, setAside } = startWorker(store(), counterHandler);
    await worker.start();
    try {
      await waitFor('both partitions applied past the unreadable entry', async () =>
        (await version(0, a)) === before + 2 && (await version(1, d)) === 1 ? true : undefined,
      );
      const [kept] = await store().inbox.setAsideItems(0, 1);
      expect(kept).toMatchObject({ itemId: corruptId, reason: 'corrupt', attempts: 0, raw: '{"v":1,"source":' });
      expect(await setAside('corrupt')).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('starts careful (each attempt counted first) only after a lease its holder never released', async () => {
    const P = 0;
    const [a, b] = usersOf(P);
    const attempted = async () => (await raw.hGetAll(keys.inboxAttempt(P))).id;
    const applyTwo = async (n: number) => {
      const before = await version(P, a);
      await store().inbox.append([
        { partition: P, dedupeKey: `r${n}a`, record: textRecord(a, 200 + n, 'one') },
        { partition: P, dedupeKey: `r${n}b`, record: textRecord(b, 300 + n, 'two') },
      ]);
      const { worker } = startWorker(store(), counterHandler);
      await worker.start();
      try {
        await waitFor('both items applied', async () => ((await version(P, a)) === before + 1 ? true : undefined));
        await waitFor('the pending count at 0', async () =>
          (await store().inbox.pendingCounts([P]))[0] === 0 ? true : undefined,
        );
      } finally {
        await worker.stop(); // releases its lease
      }
    };
    await raw.del(keys.inboxAttempt(P));
    await applyTwo(1); // the lease was released by the worker before (or never taken): batches, nothing counted
    expect(await attempted()).toBeUndefined();

    // A holder that took the lease and vanished without releasing it (kill -9, a freeze): the next
    // holder counts each of its first items' attempts before applying it.
    const crashed = await store().leases.acquire(P, 'crashed', 50);
    expect(crashed).not.toBeNull();
    await waitFor("the crashed holder's lease run out", async () => ((await raw.exists(keys.lease(P))) === 0 ? true : undefined));
    await applyTwo(2);
    expect(await attempted()).toBe(await raw.get(keys.cursor(P))); // the last item applied was counted first
  });

  it('stops setting aside when item after item fails: the fault is then not in the items, and the partition waits', async () => {
    const P = 1;
    const users = usersOf(P);
    const records = [1, 2, 3, 4, 5].map((n) => textRecord(users[n % 3] as string, 100 + n, `broken ${n}`));
    await store().inbox.append(records.map((record, i) => ({ partition: P, dedupeKey: `s${i}`, record })));
    const broken: Handler<CounterState> = {
      ...counterHandler,
      prepare: async () => {
        throw new Error('the profile lookup is broken for everyone');
      },
    };
    const before = (await store().inbox.setAsideItems(P, 100)).length;
    const { worker, logs } = startWorker(store(), broken);
    await worker.start();
    try {
      await waitFor('the guard giving up on setting aside', async () =>
        logs.some((l) => String(l.msg).includes('not setting more aside')) ? true : undefined,
      );
      expect((await store().inbox.setAsideItems(P, 100)).length - before).toBe(MAX_SET_ASIDE_STREAK);
      expect(await store().inbox.pendingCounts([P])).toEqual([records.length - MAX_SET_ASIDE_STREAK]);
    } finally {
      await worker.stop();
    }
    expect((await store().inbox.setAsideItems(P, 100)).length - before).toBe(MAX_SET_ASIDE_STREAK);
  });
});
