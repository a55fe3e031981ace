/**
 * `talkshop demo` on a production host never joins production: not through the environment, not
 * through `.env`, and with `--redis` only under its own key prefix, which it refuses when that
 * prefix holds data it did not write. A real service in turn refuses the demo's prefix. The CLI
 * runs from the build as a child process, in a directory with a production `.env`, exactly as
 * someone would type it on that host.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { DEMO_ADMIN_TOKEN, DEMO_KEY_PREFIX } from '../../src/cli/demoEnv';
import { StoreOwnerError } from '../../src/errors';
import { startService } from '../../src/server';
import { freePort, startPrivateRedis, type PrivateRedis } from '../support/privateRedis';
import { deletePrefix } from '../support/redisKeys';
import { TEST_REDIS_URL, testConfig, uniquePrefix } from '../support/testEnv';
import { demoReady, runCli, stopRun, type CliRun } from '../support/spawnDemo';
import { waitFor } from '../support/webhookClient';
import { DEMO_DISCLOSURE } from '../support/demoDisclosure';

const ROOT = join(__dirname, '..', '..');

async function keysOf(url: string, match: string): Promise<string[]> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...batch);
    return keys.sort();
  } finally {
    client.destroy();
  }
}

async function redisDo(url: string, command: string[]): Promise<unknown> {
  const client = createClient({ url });
  await client.connect();
  try {
    return await client.sendCommand(command);
  } finally {
    client.destroy();
  }
}

/** A directory with the shop's flows and a production `.env`; `plainDir` has the flows only. */
let cwd: string;
let plainDir: string;
let prodPrefix: string;
/** The production settings, in both the environment and `.env` (the demo must use neither). */
let production: Record<string, string>;
const runs: CliRun[] = [];
const servers: PrivateRedis[] = [];

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'talkshop-prod-host-'));
  symlinkSync(join(ROOT, 'flows'), join(cwd, 'flows'));
  plainDir = mkdtempSync(join(tmpdir(), 'talkshop-prod-env-'));
  symlinkSync(join(ROOT, 'flows'), join(plainDir, 'flows'));
  prodPrefix = uniquePrefix('prod');
  production = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prodPrefix,
    MESSENGER_PAGE_ID: 'real-page',
    MESSENGER_ACCESS_TOKEN: 'real-access-token',
    MESSENGER_APP_ID: 'real-app',
    MESSENGER_APP_SECRET: 'real-app-secret',
    MESSENGER_VERIFY_TOKEN: 'real-verify-token',
    ADMIN_TOKENS: 'ops:operator:real-ops-token-0123456789',
    // Any free port: the serve test below starts an admin API from these too.
    ADMIN_PORT: '0',
  };
  // A .env also names flows that do not exist: a demo that read it would refuse to start.
  const dotenv = { ...production, FLOWS_DIR: './no-such-flows', PORT: '1' };
  writeFileSync(
    join(cwd, '.env'),
    Object.entries(dotenv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
});
afterEach(async () => {
  await Promise.all(runs.splice(0).map(stopRun));
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});
afterAll(async () => {
  await deletePrefix(prodPrefix);
  rmSync(cwd, { recursive: true, force: true });
  rmSync(plainDir, { recursive: true, force: true });
});

const listenEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };

/** Starts the demo, says hello through `send-event --demo`, and waits for the reply at the demo's fake Graph API. */
async function demoConverses(env: Record<string, string>, dir: string): Promise<CliRun> {
  const demo = runCli(['demo'], env, dir);
  runs.push(demo);
  const readyLine = await demoReady(demo);
  const url = `http://127.0.0.1:${String(readyLine.port)}`;
  const event = runCli(['send-event', '--demo', '--url', url, '--text', 'hello'], env, dir);
  expect(await event.exit).toBe(0);
  expect(event.lines).toEqual(['200 EVENT_RECEIVED']);
  // The first reply: the demo's disclosure, then the welcome (one line: describeCall joins them with " / ").
  await waitFor('the demo to print its reply', () =>
    demo.lines.find((l) => l.startsWith(`bot → demo-user-1: ${DEMO_DISCLOSURE} / Hi Sam!`)),
  );
  return demo;
}

it('production settings in the environment: memory store, demo Page, one line naming what it ignored; production Redis untouched', async () => {
  const demo = await demoConverses({ ...production, ...listenEnv }, plainDir);
  expect(demo.logs[0]).toMatchObject({ msg: expect.stringMatching(/IN-MEMORY/), store: 'memory' });
  expect(demo.stderr()).toMatch(/^demo: ignoring .*REDIS_URL.*MESSENGER_PAGE_ID.*MESSENGER_APP_SECRET/m);
  for (const [name, value] of Object.entries(production)) if (name !== 'ADMIN_PORT') expect(demo.stderr()).not.toContain(value);
  expect(await keysOf(TEST_REDIS_URL, `${prodPrefix}:*`)).toEqual([]);
  // Its admin API: loopback, the demo's token only; production's token is refused.
  const admin = demo.logs.find((l) => l.msg === 'admin API listening');
  expect(admin).toMatchObject({ host: '127.0.0.1', tokens: ['demo:operator'] });
  const list = (token: string) =>
    fetch(`http://127.0.0.1:${String(admin?.port)}/admin/broadcasts`, { headers: { authorization: `Bearer ${token}` } });
  expect((await list('real-ops-token-0123456789')).status).toBe(401);
  expect((await list(DEMO_ADMIN_TOKEN)).status).toBe(200);
});

it('production settings in .env: the demo never reads it (nor does send-event --demo)', async () => {
  const demo = await demoConverses(listenEnv, cwd);
  expect(demo.logs[0]).toMatchObject({ store: 'memory' });
  expect(demo.stderr()).not.toContain('ignoring');
  expect(await keysOf(TEST_REDIS_URL, `${prodPrefix}:*`)).toEqual([]);
});

it('--redis on an empty Redis: only its own prefix, marked as the demo Page; a real service then refuses that prefix', async () => {
  const redis = await startPrivateRedis(await freePort(), { dir: cwd });
  servers.push(redis);
  const demo = runCli(['demo', '--redis', redis.url], { ...production, ...listenEnv }, cwd);
  runs.push(demo);
  await demoReady(demo);
  expect(demo.logs[0]).toMatchObject({ store: 'redis', keyPrefix: DEMO_KEY_PREFIX });
  await waitFor('the demo to take its partitions', async () => ((await keysOf(redis.url, '*')).length > 10 ? true : undefined));
  await stopRun(demo);
  const keys = await keysOf(redis.url, '*');
  expect(keys.filter((k) => !k.startsWith(`${DEMO_KEY_PREFIX}:`))).toEqual([]);
  expect(await redisDo(redis.url, ['GET', `${DEMO_KEY_PREFIX}:owner`])).toBe('demo-page');
  expect(await keysOf(TEST_REDIS_URL, `${prodPrefix}:*`)).toEqual([]);

  const refused = await startService(testConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: DEMO_KEY_PREFIX })).then(
    (s) => s.stop().then(() => 'started'),
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(StoreOwnerError);
  expect((refused as Error).message).toContain('belongs to Page demo-page, not to Page page-1');
  expect(await keysOf(redis.url, '*')).toEqual(keys);
});

it.each([
  [
    'data without an owner marker',
    [['SET', `${DEMO_KEY_PREFIX}:workers`, 'x']],
    /already holds data that this start \(Page demo-page\) did not write/,
  ],
  ['a real Page', [['SET', `${DEMO_KEY_PREFIX}:owner`, 'real-page']], /belongs to Page real-page, not to Page demo-page/],
])('--redis on a demo prefix holding %s: refused with exit 2, nothing written', async (_what, seed, message) => {
  const redis = await startPrivateRedis(await freePort(), { dir: cwd });
  servers.push(redis);
  for (const command of seed) await redisDo(redis.url, command);
  const before = await keysOf(redis.url, '*');
  const demo = runCli(['demo', '--redis', redis.url], listenEnv, cwd);
  runs.push(demo);
  expect(await demo.exit).toBe(2);
  expect(demo.stderr()).toMatch(message);
  expect(await keysOf(redis.url, '*')).toEqual(before);
});

it('every other command still reads .env: serve starts from it alone, with nothing but JSON log lines on stdout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-serve-dotenv-'));
  try {
    symlinkSync(join(ROOT, 'flows'), join(dir, 'flows'));
    const settings = { ...production, REDIS_URL: '', ...listenEnv, MESSENGER_PAGE_ID: 'dotenv-page' };
    writeFileSync(
      join(dir, '.env'),
      Object.entries(settings)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    const serve = runCli(['serve'], {}, dir);
    runs.push(serve);
    await demoReady(serve);
    expect(serve.logs[0]).toMatchObject({ store: 'memory' });
    expect(serve.lines).toEqual([]);
  } finally {
    await Promise.all(runs.splice(0).map(stopRun));
    rmSync(dir, { recursive: true, force: true });
  }
});
