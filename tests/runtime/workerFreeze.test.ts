import { join } from 'node:path';
import { createClient } from 'redis';
import { keysFor } from '../../src/store/keys';
import { userKeyOf } from '../../src/store/partitionOf';
import { deletePrefix } from '../support/redisKeys';
import { spawnReady, type ReadyProcess } from '../support/spawnReady';
import { TEST_REDIS_URL, uniquePrefix } from '../support/testEnv';
import { textRecord } from '../support/inboxRecords';
import { waitFor } from '../support/webhookClient';
import { openTestStore } from '../support/openTestStore';

/**
 * The poisoned item the hardening review found: an item that freezes the event loop (a regular
 * expression backtracking on a long text) loses its worker's lease, and the next lease holder
 * picks it up and freezes the same way, worker after worker. Here each worker is a child process
 * that freezes on "freeze"; the test kills each frozen one once its lease has run out (as an
 * orchestrator's liveness probe would) and starts another. The first worker takes a partition no
 * one held before, so it applies a batch and freezes in it uncounted (as a worker does on an item
 * that arrives while it runs); each next one took the lease from a holder that never released it,
 * so it counts its attempt at each item first. With 2 attempts allowed, the fourth worker sets the
 * item aside and applies what came after it.
 */
const CHILD = join(__dirname, '..', '..', 'dist', 'tests', 'support', 'freezingWorkerChild.js');
const prefix = uniquePrefix('freeze');
const keys = keysFor(prefix);
const raw = createClient({ url: TEST_REDIS_URL });
const children: ReadyProcess[] = [];

beforeAll(async () => {
  await raw.connect();
});

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited()));
  await raw.quit();
  await deletePrefix(prefix);
});

it('sets aside an item that freezes every worker that takes it, after one uncounted try and MAX_ATTEMPTS counted ones', async () => {
  const store = await openTestStore(prefix);
  try {
    await store.inbox.append([
      { partition: 0, dedupeKey: 'f1', record: textRecord('a', 1, 'hello') },
      { partition: 0, dedupeKey: 'f2', record: textRecord('b', 2, 'freeze') },
      { partition: 0, dedupeKey: 'f3', record: textRecord('c', 3, 'after') },
    ]);
    const [, frozenItem] = (await raw.xRange(keys.inbox(0), '-', '+')).map((e) => e.id);
    const version = async (user: string) => (await store.states.load(0, userKeyOf('p', user))).version;
    const env = { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, LEASE_TTL_MS: '1000', MAX_ATTEMPTS: '2' };

    const first = await spawnReady([CHILD], { env, readyMsg: 'freeze child ready' });
    children.push(first);
    await waitFor('worker 0 frozen in a batch past its lease, its attempt not counted', async () => {
      const unreleased = await raw.exists(keys.leaseOpen(0));
      const leased = await raw.exists(keys.lease(0));
      const counted = await raw.exists(keys.inboxAttempt(0));
      return unreleased === 1 && leased === 0 && counted === 0 ? true : undefined;
    });
    first.proc.kill('SIGKILL');
    await first.exited();
    expect(await version('a')).toBe(0); // its batch, 'hello' included, never committed

    for (let attempt = 1; attempt <= 2; attempt++) {
      const child = await spawnReady([CHILD], { env, readyMsg: 'freeze child ready' });
      children.push(child);
      // Frozen: it counted its attempt at the item, and its lease ran out without a renewal.
      await waitFor(`worker ${attempt} frozen on the item past its lease`, async () => {
        const counted = await raw.hGetAll(keys.inboxAttempt(0));
        const leased = await raw.exists(keys.lease(0));
        return counted.id === frozenItem && Number(counted.n) === attempt && leased === 0 ? true : undefined;
      });
      child.proc.kill('SIGKILL');
      await child.exited();
    }
    expect(await version('a')).toBe(1);
    expect(await version('c')).toBe(0);

    const survivor = await spawnReady([CHILD], { env, readyMsg: 'freeze child ready' });
    children.push(survivor);
    await waitFor('the item after the frozen one applied', async () => ((await version('c')) === 1 ? true : undefined));
    expect(await version('b')).toBe(0);
    const [kept] = await store.inbox.setAsideItems(0, 1);
    expect(kept).toMatchObject({ itemId: frozenItem, reason: 'attempts', attempts: 2 });
    await waitFor('the set-aside logged', async () =>
      survivor.logs.some((l) => String(l.msg).includes('set aside') && l.itemId === frozenItem) ? true : undefined,
    );
    survivor.proc.kill('SIGTERM');
    expect(await survivor.exited()).toBe(0);
  } finally {
    await store.close();
  }
});
