/**
 * `talkshop profile sync --page <id>` and `--all-pages` (#18 item 2): each Page's Messenger Profile
 * from its own flows folder's file, posted with its own token and appsecret_proof. Each Page has a
 * fake Graph API of its own (a fake knows one Page) behind a proxy that forwards by token; Page C's
 * token is known to no fake, so its sync fails and the run exits non-zero.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addPageCommands } from '../../src/cli/pageCommands';
import { loadConfig } from '../../src/config/config';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startGraphProxy, type GraphProxy } from '../support/graphProxy';
import { TEST_SECRET, testEnv } from '../support/testEnv';
import { greetingFlow } from '../support/greetingFlow';

const A = '1000000000000111';
const B = '2000000000000222';
const C = '3000000000000333';
const TOKENS: Readonly<Record<string, string>> = { [A]: 'token-of-page-a', [B]: 'token-of-page-b' };
const FLOWS = resolve(__dirname, '..', '..', 'flows');

let dir: string;
let env: Record<string, string | undefined>;
let fakes: Record<string, FakeGraphApi>;
let proxy: GraphProxy;

/** A flows folder with one flow and a profile whose greeting names the Page. */
function flowsFolder(name: string, greeting: string): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'hello.yaml'), greetingFlow('hello', 'hi', 'Hi'));
  writeFileSync(join(folder, 'settings.yaml'), 'default_flow: hello\n');
  writeFileSync(
    join(folder, 'messenger-profile.yaml'),
    `get_started:\n  payload: GET_STARTED\ngreeting:\n  - locale: default\n    text: "${greeting}"\n`,
  );
  return folder;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-profile-pages-'));
  const page = (id: string, folder: string) => [
    `  - id: "${id}"`,
    `    token_env: TOKEN_${id}`,
    `    flows: ${JSON.stringify(folder)}`,
  ];
  writeFileSync(
    join(dir, 'pages.yaml'),
    [
      'pages:',
      ...page(B, flowsFolder('flows-b', 'Shop B says hi')),
      ...page(C, flowsFolder('flows-c', 'Shop C says hi')),
      '',
    ].join('\n'),
  );
  fakes = {};
  for (const id of [A, B])
    fakes[id] = await startFakeGraphApi({ appSecret: TEST_SECRET, accessToken: TOKENS[id] ?? '', pageId: id });
  proxy = await startGraphProxy((token) => (token === TOKENS[A] ? fakes[A]?.url : fakes[B]?.url) ?? '');
  env = testEnv({
    REDIS_URL: undefined,
    MESSENGER_PAGE_ID: A,
    MESSENGER_ACCESS_TOKEN: TOKENS[A],
    FLOWS_DIR: FLOWS,
    GRAPH_API_URL: proxy.url,
    PAGES_FILE: join(dir, 'pages.yaml'),
    [`TOKEN_${B}`]: TOKENS[B],
    [`TOKEN_${C}`]: 'token-of-page-c-that-no-fake-knows',
  });
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all(Object.values(fakes ?? {}).map((f) => f.stop()));
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

async function run(args: readonly string[]): Promise<{ out: string[]; err: string[]; code: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('talkshop').exitOverride();
  addPageCommands(program, {
    config: () => loadConfig(env),
    env: () => env,
    openStore: () => Promise.reject(new Error('profile sync opens no store')),
    refuse: (message) => {
      throw new Error(message);
    },
    profileIo: { out: (l) => void out.push(l), err: (l) => void err.push(l) },
  });
  await program.parseAsync(['profile', 'sync', ...args], { from: 'user' });
  return { out, err, code: Number(process.exitCode ?? 0) };
}

const greetingOf = (id: string) => (fakes[id]?.messengerProfile().greeting as Array<{ text: string }> | undefined)?.[0]?.text;

it("--page syncs that Page's own profile with its own token and appsecret_proof", async () => {
  const onB = await run(['--page', B]);
  expect(onB.code).toBe(0);
  expect(greetingOf(B)).toBe('Shop B says hi');
  expect(greetingOf(A)).toBeUndefined();
  expect(fakes[B]?.calls.filter((c) => c.endpoint === 'messenger_profile').map((c) => [c.method, c.status])).toEqual([
    ['GET', 200],
    ['POST', 200],
  ]);
  expect((await run(['--page', B, '--dry-run'])).out).toContain('no changes: the Page already has this profile');
});

it('--all-pages syncs every Page, line by line per Page, and exits 1 when one failed', async () => {
  const all = await run(['--all-pages']);
  expect(greetingOf(A)).toMatch(/Northwind Outfitters/);
  expect(greetingOf(B)).toBe('Shop B says hi');
  expect(all.out).toContainEqual(expect.stringMatching(new RegExp(`^Page ${A}: posted .*greeting`)));
  expect(all.out).toContainEqual(`Page ${B}: no changes: the Page already has this profile`);
  expect(all.err).toContainEqual(expect.stringMatching(new RegExp(`^Page ${C}: talkshop profile sync: `)));
  expect(all.out.at(-1)).toBe(
    '3 Page(s): 2 synced, 0 skipped (no profile file), 0 refused (nothing sent), 1 failed at the Graph API',
  );
  expect(all.code).toBe(1);
  // Every call that reached A's fake carried A's token and proof (the fake refuses others).
  expect(fakes[A]?.calls.filter((c) => c.status !== 200)).toEqual([]);
});

it('refuses --all-pages with a file or with --page', async () => {
  expect(await run(['--all-pages', 'some-file.yaml'])).toMatchObject({ code: 2 });
  await expect(run(['--all-pages', '--page', B])).rejects.toThrow('give --page or --all-pages, not both');
});
