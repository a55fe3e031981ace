/**
 * `talkshop audience count|reindex`: the built CLI, spawned like an operator would run it,
 * against a Redis holding states from before the audience index (no cards): count finds nobody,
 * reindex writes their cards, count then finds the segment; a bad --where is refused (exit 2)
 * naming the clause and the accepted forms. And the backfill never puts an older card over the
 * card of a newer state.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audienceCardOf } from '../../src/audience/audienceCard';
import { reindexAudience } from '../../src/audience/reindex';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { AudienceStore, StateStore, Store } from '../../src/store/ports';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { openTestStore } from '../support/openTestStore';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const env = testEnv({ INBOX_PARTITIONS: '4' });
const prefix = env.REDIS_KEY_PREFIX as string;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
/** The built CLI in an empty directory (no .env), with exactly these settings. */
function cli(args: readonly string[]): Promise<Ran> {
  const cwd = mkdtempSync(join(tmpdir(), 'talkshop-cli-'));
  const childEnv = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...env }).filter(([, v]) => v !== undefined));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env: childEnv as NodeJS.ProcessEnv }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

const state = (over: Partial<UserState>): UserState => ({ ...initialUserState(), ...over });

/** Commits states the way a release before the index did: no card. */
async function commitLegacy(store: Store, users: ReadonlyArray<readonly [string, UserState]>, partitions: number) {
  let n = 0;
  for (const [psid, s] of users) {
    const partition = partitionOf(TEST_PAGE, psid, partitions);
    const token = (await store.leases.acquire(partition, 'legacy', 60_000)) as string;
    n += 1;
    const item = { itemId: `${Date.now() + n}-0`, userKey: userKeyOf(TEST_PAGE, psid), expectedVersion: 0, data: s, effects: [] };
    expect(await store.states.commit({ partition, leaseToken: token, items: [item] })).toMatchObject({ type: 'committed' });
    await store.leases.release(partition, token);
  }
}

describe('talkshop audience', () => {
  afterAll(async () => {
    await deletePrefix(prefix);
  });

  it('count finds no one before the backfill, reindex writes the cards, count finds the segment', async () => {
    const store = await openTestStore(prefix);
    const users = Array.from(
      { length: 12 },
      (_, i) => [`old-${i}`, state({ tags: i % 3 === 0 ? ['vip'] : [], fields: { age: 10 + i * 5 } })] as const,
    );
    try {
      await commitLegacy(store, users, 4);
    } finally {
      await store.close();
    }
    const before = await cli(['audience', 'count', '--json']);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ count: 0, scanned: 0 });

    const reindexed = await cli(['audience', 'reindex', '--json']);
    expect(reindexed.code).toBe(0);
    expect(JSON.parse(reindexed.stdout)).toEqual({ written: 12, moved: 0, unreadable: 0 });

    const vip = await cli(['audience', 'count', '--where', 'tag=vip', '--where', 'field.age>=20', '--json']);
    expect(vip.code).toBe(0);
    // vip: users 0, 3, 6, 9 (ages 10, 25, 40, 55); of them age >= 20: 3.
    expect(JSON.parse(vip.stdout)).toMatchObject({ count: 3, scanned: 12, unreadable: 0 });
    const human = await cli(['audience', 'count', '--where', 'tag=vip']);
    expect(human.stdout).toContain('4 users match (of 12 in the index, 4 partitions)');
    expect(human.stdout).toContain('where tag=vip');
  });

  it('refuses a bad --where or --filter with exit 2, naming the clause and the forms', async () => {
    const bad = await cli(['audience', 'count', '--where', 'field.age>=old']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--where "field.age>=old": "old" is not a number');
    expect(bad.stderr).toContain('Accepted forms:');
    expect(bad.stdout).toBe('');
    const badJson = await cli(['audience', 'count', '--filter', '{"all":[{"window":"ajar"}]}']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--filter at all.0.window');
  });
});

describe('reindexAudience', () => {
  it('never writes a card over a newer state: a user committed meanwhile is read again', async () => {
    const store = createMemoryStore({ dedupeTtlSeconds: 60 });
    await commitLegacy(store, [['racer', state({ tags: ['old'] })]], 1);
    const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
    let loads = 0;
    // The worker commits a newer state (and its card) just after the backfill read the old one.
    const states = new Proxy(store.states, {
      get: (target, prop, receiver) =>
        prop === 'load'
          ? async (p: number, u: string) => {
              const read = await target.load(p, u);
              if (++loads === 1) {
                const newer = state({ tags: ['new'] });
                const item = {
                  itemId: `${Date.now() + 100}-0`,
                  userKey: u,
                  expectedVersion: 1,
                  data: newer,
                  effects: [],
                  audience: JSON.stringify(audienceCardOf(newer)),
                };
                await target.commit({ partition: p, leaseToken: token, items: [item] });
              }
              return read;
            }
          : (Reflect.get(target, prop, receiver) as unknown),
    }) as StateStore;
    const audience = store.audience as AudienceStore;
    expect(await reindexAudience(states, audience, { now: Date.now })).toEqual({ written: 1, moved: 0, unreadable: 0 });
    expect(loads).toBe(2);
    const page = await audience.cards(0, '0', 10);
    expect(page.cards.map((c) => JSON.parse(c.json).tags)).toEqual([['new']]);
  });
});
