import { Command } from 'commander';
import pino from 'pino';
import { addInsightsCommand, formatUnmatched } from '../../src/cli/insightsCommand';
import { loadConfig } from '../../src/config/config';
import type { Store } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { deletePrefix } from '../support/redisKeys';
import { testEnv } from '../support/testEnv';

/**
 * `talkshop insights unmatched` against the Redis of a running service: the listing for people,
 * --json for scripts, refused options and a missing REDIS_URL as exit code 2.
 */
const env = testEnv();
const prefix = env.REDIS_KEY_PREFIX as string;
const NOW = Date.UTC(2026, 10, 30, 9);
const DAY = 86_400_000;
let seeded: Store;

/** The store the command opens: the service's Redis under the configured prefix (server.ts openStoreFromConfig does the same). */
const openStore = (keyPrefix = prefix) =>
  createRedisStore({
    url: env.REDIS_URL as string,
    keyPrefix,
    dedupeTtlSeconds: 60,
    timeoutMs: 5000,
    logger: pino({ level: 'silent' }),
  });

beforeAll(async () => {
  seeded = await openStore();
  const counts = seeded.unmatched;
  if (!counts) throw new Error('the Redis store keeps unmatched counts');
  for (let i = 0; i < 5; i++) await counts.count('do you ship to canada', 'fallback', NOW);
  await counts.count('do you ship to canada', 'suggested', NOW - DAY);
  await counts.count('retrun policy', 'suggested', NOW);
  await counts.count('retrun policy', 'suggested', NOW);
  await counts.count('gift \u001b[31mcards', 'fallback', NOW - 3 * DAY);
});
afterAll(async () => {
  await seeded.close();
  await deletePrefix(prefix);
});
afterEach(() => {
  process.exitCode = undefined;
});

async function run(args: string[], settings = env): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('talkshop').exitOverride();
  addInsightsCommand(program, {
    config: () => loadConfig(settings),
    openStore: (config) => openStore(config.REDIS_KEY_PREFIX),
    now: () => NOW,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  await program.parseAsync(['insights', 'unmatched', ...args], { from: 'user' });
  return { out, err, code: Number(process.exitCode ?? 0) };
}

describe('talkshop insights unmatched', () => {
  it('lists the most frequent texts of the last 7 days with counts per outcome and the last day seen', async () => {
    const { out, code } = await run([]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'Texts the bot did not understand, last 7 days (2026-11-24 to 2026-11-30, UTC), most frequent first:',
        '  count  fallback  did you mean  last seen   text',
        '      6         5             1  2026-11-30  do you ship to canada',
        '      2         0             2  2026-11-30  retrun policy',
        // A control character in a customer's text never reaches the terminal as such.
        '      1         1             0  2026-11-27  gift ?[31mcards',
        '',
      ].join('\n'),
    );
  });

  it('--days and --limit narrow the window and the list; --json prints one object', async () => {
    const { out } = await run(['--days', '1', '--limit', '1', '--json']);
    expect(JSON.parse(out)).toEqual({
      days: 1,
      from: '2026-11-30',
      to: '2026-11-30',
      limit: 1,
      texts: [{ text: 'do you ship to canada', count: 5, fallback: 5, suggested: 0, lastDay: '2026-11-30' }],
    });
    expect((await run(['--days', '2'])).out).not.toContain('gift');
  });

  it('says so when nothing was counted', async () => {
    const quiet = await run(['--days', '1'], { ...env, REDIS_KEY_PREFIX: `${prefix}-empty` });
    expect(quiet.out).toBe('Texts the bot did not understand, last 1 day (2026-11-30 to 2026-11-30, UTC): none.\n');
    expect(formatUnmatched({ days: 2, from: 'a', to: 'b', limit: 1, texts: [] })).toContain('last 2 days');
  });

  it('refuses bad options and a service without Redis with exit code 2, saying what to do', async () => {
    for (const args of [
      ['--days', '0'],
      ['--days', '91'],
      ['--days', '1.5'],
      ['--limit', '0'],
      ['--limit', 'x'],
    ]) {
      const r = await run(args);
      expect([r.code, r.out]).toEqual([2, '']);
      expect(r.err).toMatch(/^talkshop insights: --(days|limit) expects a whole number/);
    }
    const memory = await run([], { ...env, REDIS_URL: undefined });
    expect(memory.code).toBe(2);
    expect(memory.err).toContain('GET /admin/insights/unmatched');
  });
});
