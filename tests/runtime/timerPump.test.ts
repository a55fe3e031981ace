import pino from 'pino';
import { timerPump } from '../../src/runtime/timerPump';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { HeldPartition, Store } from '../../src/store/ports';
import { textRecord } from '../support/inboxRecords';
import { waitFor } from '../support/webhookClient';

/**
 * The timer pumps of one worker ask the store together: every partition held, in calls of at most
 * 16 partitions sent in the same round, instead of a script call per partition twice a second.
 */
const silent = pino({ level: 'silent' });

function pumping(partitions: number) {
  const base = createMemoryStore({ dedupeTtlSeconds: 60 });
  const calls: number[][] = [];
  const fireDueMany = base.timers.fireDueMany?.bind(base.timers);
  if (!fireDueMany) throw new Error('the memory store fires several partitions at once');
  const store: Store = {
    ...base,
    timers: {
      ...base.timers,
      fireDueMany: (leases: readonly HeldPartition[], now: number, limit: number) => {
        calls.push(leases.map((l) => l.partition));
        return fireDueMany(leases, now, limit);
      },
    },
  };
  let active = true;
  const tokens: string[] = [];
  const start = async () => {
    const pumps: Array<Promise<void>> = [];
    const pump = timerPump(store, Date.now, silent, 50);
    for (let p = 0; p < partitions; p++) {
      const token = (await base.leases.acquire(p, 'w', 60_000)) as string;
      tokens.push(token);
      pumps.push(pump(p, token, () => active));
    }
    return pumps;
  };
  const due = (p: number, slot: string, n: number) => store.timers.set(p, slot, Date.now() - 1, timerRecord(n));
  const pending = async (p: number) => (await base.inbox.pendingCounts([p]))[0] ?? 0;
  return { base, calls, tokens, start, due, pending, stop: () => (active = false) };
}

const timerRecord = (n: number) => textRecord(`u${n}`, n, 'timer');

it('asks every partition held in calls of at most 16, and fires each one its due timers', async () => {
  const t = pumping(20);
  for (let p = 0; p < 20; p++) await t.due(p, `u${p}|t`, p);
  const pumps = await t.start();
  await waitFor('every partition fired its timer', async () => {
    for (let p = 0; p < 20; p++) if ((await t.pending(p)) !== 1) return undefined;
    return true;
  });
  const before = t.calls.length;
  await waitFor('another round', () => (t.calls.length >= before + 2 ? true : undefined));
  // A round: every partition once, 16 and 4 (the first partitions' rounds may have asked fewer).
  const round = t.calls.slice(before, before + 2);
  expect(round.map((c) => c.length).sort((a, b) => a - b)).toEqual([4, 16]);
  expect(new Set(round.flat()).size).toBe(20);
  t.stop();
  await Promise.all(pumps); // each pump ends once its partition is no longer held
});

it("ends a pump whose lease is gone, the others' go on; a partition with more due than a call moves is asked again at once", async () => {
  const t = pumping(2);
  const pumps = await t.start();
  const [first, second] = pumps;
  // Another worker took partition 0: its pump ends.
  await t.base.leases.release(0, t.tokens[0] as string);
  await t.base.leases.acquire(0, 'other', 60_000);
  await first;
  for (let n = 0; n < 250; n++) await t.due(1, `u${n}|t`, n);
  await waitFor('the 250 timers of partition 1 fired', async () => ((await t.pending(1)) === 250 ? true : undefined));
  expect(await t.pending(0)).toBe(0);
  t.stop();
  await second;
});
