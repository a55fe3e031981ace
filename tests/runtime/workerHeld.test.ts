import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import { Worker } from '../../src/runtime/worker';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { InboxRead, InboxRecord, Store } from '../../src/store/ports';
import { counterHandler } from '../support/counterHandler';
import { redisFixture } from '../support/redisFixture';
import { waitFor } from '../support/webhookClient';

/**
 * A rolling deploy: a newer Talkshop wrote an inbox record this worker cannot read (an event kind
 * it does not know, or a later format). The worker must not apply, skip or fail on it: the
 * partition waits there (a user's order must hold), it is counted and logged once, and the
 * partition goes on once the record is gone (applied by a worker that knows it).
 */
const PARTITIONS = 2;
const U = 'u';
const P = partitionOf('p', U, PARTITIONS);
const W = Array.from({ length: 100 }, (_, i) => `w${i}`).find((w) => partitionOf('p', w, PARTITIONS) === P) as string;

const record = (userId: string, n: number): InboxRecord => ({
  source: 'webhook',
  event: { kind: 'message', channel: 'messaging', pageId: 'p', userId, timestamp: n, dedupeKey: `mid:${n}`, raw: {} },
});

describe.each([
  ['kind', (n: number) => ({ v: 1, ...record(U, n), event: { ...record(U, n).event, kind: 'poll_vote' } })],
  ['version', (n: number) => ({ v: 2, ...record(U, n) })],
] as const)('an inbox record of a %s this worker does not know', (reason, newer) => {
  const { keys, raw, store } = redisFixture('held');

  it('holds its partition at it without applying or skipping it, counted once; the partition goes on once it is gone', async () => {
    // Before it: a record written before formats were versioned (applied as version 1).
    const first = await raw.xAdd(keys.inbox(P), '*', { r: JSON.stringify(record(U, 1)) });
    const heldId = await raw.xAdd(keys.inbox(P), '*', { r: JSON.stringify(newer(2)) });
    await store().inbox.append([
      { partition: P, dedupeKey: 'mid:3', record: record(U, 3) },
      { partition: P, dedupeKey: 'mid:4', record: record(W, 4) },
    ]);

    // Counts the reads that met the held record, to know the worker has looked at it again.
    let looks = 0;
    const watched: Store = {
      ...store(),
      inbox: {
        append: (requests) => store().inbox.append(requests),
        readNew: async (after, count, blockMs) => {
          const reads: InboxRead[] = await store().inbox.readNew(after, count, blockMs);
          if (reads.some((r) => r.id === heldId)) looks += 1;
          return reads;
        },
        cursor: (p) => store().inbox.cursor(p),
        pendingCounts: (ps) => store().inbox.pendingCounts(ps),
        noteAttempt: (p, id) => store().inbox.noteAttempt(p, id),
        setAside: (...args) => store().inbox.setAside(...args),
        setAsideItems: (p, n) => store().inbox.setAsideItems(p, n),
      },
    };
    const metrics = createMetrics();
    const logs: Array<{ msg: string; reason?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const worker = new Worker({
      store: watched,
      handler: counterHandler,
      partitions: PARTITIONS,
      workerId: 'old',
      leaseTtlMs: 5000,
      logger,
      metrics,
      readBlockMs: 50,
      heldRetryMs: 100,
    });
    const held = async () => (await metrics.recordsHeld.get()).values.find((v) => v.labels.store === 'inbox')?.labels.reason;
    const version = async (user: string) => (await store().states.load(P, userKeyOf('p', user))).version;
    await worker.start();
    try {
      await waitFor('the held record looked at three times', async () =>
        looks >= 3 && (await held()) === reason ? true : undefined,
      );
      expect(await version(U)).toBe(1); // the record before it was applied
      expect(await version(W)).toBe(0); // nothing after it in the partition went first
      expect(await store().inbox.cursor(P)).toBe(first);
      expect(await store().inbox.pendingCounts([P])).toEqual([3]);
      expect((await metrics.recordsHeld.get()).values.map((v) => v.value)).toEqual([1]);
      expect(logs.filter((l) => l.msg.includes('newer Talkshop'))).toEqual([expect.objectContaining({ reason })]);

      // A worker that knows the record applies it (here: it leaves the stream); the partition goes on.
      await raw.xDel(keys.inbox(P), heldId);
      await waitFor('the items after it applied', async () => ((await version(W)) === 1 ? true : undefined));
      expect(await version(U)).toBe(2);
      expect(await store().inbox.pendingCounts([P])).toEqual([0]);
      expect(worker.heldPartitions).toContain(P);
    } finally {
      await worker.stop();
    }
  });
});
