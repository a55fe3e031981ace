/**
 * `--page <id>` (#18 item 2): the store commands run on the Page it names, with that Page's key
 * prefix from PAGES_FILE; without it, on the environment's Page as always. An unknown Page is
 * refused (exit code 2 in the built CLI) with the configured Page ids, the first 20 of them.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig } from '../../src/config/pagesConfig';
import { addPageCommands } from '../../src/cli/pageCommands';
import { choosePage, PAGES_LISTED } from '../../src/cli/pageSelection';
import type { Store } from '../../src/store/ports';
import { openTestStore } from '../support/openTestStore';
import { deletePrefix } from '../support/redisKeys';
import { runBuiltCli } from '../support/runBuiltCli';
import { testEnv } from '../support/testEnv';
import { greetingFlow } from '../support/greetingFlow';

const A = '1000000000000101';
const B = '2000000000000202';
/** C's flows folder names a default flow it lacks in its own settings.yaml: C's settings file replaces them. */
const C = '3000000000000303';
const FLOWS = resolve(__dirname, '..', '..', 'flows');

let dir: string;
let env: Record<string, string | undefined>;
let prefix: string;
const seeded: Store[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-page-option-'));
  mkdirSync(join(dir, 'flows-c'));
  writeFileSync(join(dir, 'flows-c', 'hello.yaml'), greetingFlow('hello', 'hi', 'Hi'));
  writeFileSync(join(dir, 'flows-c', 'settings.yaml'), 'default_flow: nowhere\n');
  writeFileSync(join(dir, 'settings-c.yaml'), 'default_flow: hello\n');
  writeFileSync(
    join(dir, 'pages.yaml'),
    [
      'pages:',
      `  - { id: "${B}", token_env: PAGE_B_TOKEN, flows: ${JSON.stringify(FLOWS)} }`,
      `  - { id: "${C}", token_env: PAGE_B_TOKEN, flows: flows-c, settings: settings-c.yaml }`,
      '',
    ].join('\n'),
  );
  env = testEnv({ MESSENGER_PAGE_ID: A, FLOWS_DIR: FLOWS, PAGES_FILE: join(dir, 'pages.yaml'), PAGE_B_TOKEN: 'token-b' });
  prefix = env.REDIS_KEY_PREFIX as string;
  // What each Page's customers wrote that its bot did not understand, under each Page's own prefix.
  const texts = { [prefix]: 'where is my parcel', [`${prefix}:${B}`]: 'do you ship to canada' };
  for (const [keyPrefix, text] of Object.entries(texts)) {
    const store = await openTestStore(keyPrefix);
    seeded.push(store);
    await store.unmatched?.count(text, 'fallback', Date.now());
  }
});
afterAll(async () => {
  await Promise.all(seeded.map((s) => s.close()));
  await deletePrefix(prefix); // B's prefix is under it
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

class Refused extends Error {}

/** The commands as main.ts wires them, on Redis; a refusal throws instead of exiting. */
async function run(args: readonly string[]): Promise<{ out: string; prefixes: string[] }> {
  let out = '';
  const prefixes: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const program = new Command('talkshop').exitOverride();
  addPageCommands(program, {
    config: () => loadConfig(env),
    env: () => env,
    openStore: (config) => {
      prefixes.push(config.REDIS_KEY_PREFIX);
      return openTestStore(config.REDIS_KEY_PREFIX);
    },
    refuse: (message) => {
      throw new Refused(message);
    },
  });
  program.command('serve').action(() => undefined);
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return { out, prefixes };
}

it("runs a store command on the Page --page names, before or after the command, and on the environment's Page without it", async () => {
  for (const args of [
    ['--page', B, 'insights', 'unmatched', '--json'],
    ['insights', 'unmatched', '--json', '--page', B],
  ]) {
    const onB = await run(args);
    expect(onB.prefixes).toEqual([`${prefix}:${B}`]);
    expect(onB.out).toContain('do you ship to canada');
    expect(onB.out).not.toContain('where is my parcel');
  }
  const onA = await run(['insights', 'unmatched', '--json']);
  expect(onA.prefixes).toEqual([prefix]);
  expect(onA.out).toContain('where is my parcel');
  expect(onA.out).not.toContain('canada');
  expect((await run(['--page', A, 'insights', 'unmatched', '--json'])).prefixes).toEqual([prefix]);
});

it("loads a Page's flows with its own settings file (sequence list on C)", async () => {
  const onC = await run(['sequence', 'list', '--json', '--page', C]);
  expect(process.exitCode ?? 0).toBe(0);
  expect(onC.prefixes).toEqual([`${prefix}:${C}`]);
  expect(JSON.parse(onC.out)).toMatchObject({ count: 0 });
});

it('refuses an unknown Page, listing the configured ones, and --page on a command without a Page', async () => {
  await expect(run(['--page', '999', 'insights', 'unmatched'])).rejects.toThrow(
    new RegExp(`Page 999 is not served by this deployment: the configured Pages are ${A}, ${B}, ${C}\\..*PAGES_FILE`),
  );
  await expect(run(['--page', B, 'serve'])).rejects.toThrow(/--page applies to: .*users.*\(not to serve\)/);
  await expect(run(['--page', B, 'broadcast', 'check'])).rejects.toThrow(/not to broadcast check/);
});

it(`lists at most ${PAGES_LISTED} Page ids`, () => {
  const ids = Array.from({ length: 25 }, (_, i) => String(3_000_000 + i));
  const file = ['pages:', ...ids.map((id) => `  - { id: "${id}", token_env: PAGE_B_TOKEN, flows: ${JSON.stringify(FLOWS)} }`)];
  const settings = { ...env, PAGES_FILE: join(dir, 'many.yaml') };
  const config = loadConfig(settings);
  const pages = loadPagesConfig(config, settings, { readFile: () => file.join('\n') });
  const choice = choosePage(config, pages, '42');
  expect(choice.ok).toBe(false);
  const message = choice.ok ? '' : choice.message;
  expect(message).toContain(`${A}, ${ids.slice(0, PAGES_LISTED - 1).join(', ')} … and 6 more`);
});

it('the built CLI exits 2 for an unknown Page', async () => {
  const ran = await runBuiltCli(['users', 'export', 'someone', '--page', '12345'], env, dir);
  expect(ran.code).toBe(2);
  expect(ran.stderr).toContain(`Page 12345 is not served by this deployment: the configured Pages are ${A}, ${B}, ${C}.`);
});
