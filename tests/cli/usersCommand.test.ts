/**
 * `talkshop users export|delete` (#10, scope 2): the built CLI, spawned like an operator would run
 * it, against the Redis of a running service. Export prints the record as JSON on stdout (the
 * audit line goes to stderr); delete asks for --yes when it cannot prompt, then queues the erase
 * in the user's lane and waits until the service's worker applied it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { startService, type RunningService } from '../../src/server';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { loadConfig } from '../../src/config/config';
import { postSigned, waitFor } from '../support/webhookClient';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const PSID = 'cli-user-8812';
const env = testEnv();
let service: RunningService;

beforeAll(async () => {
  service = await startService(loadConfig(env), { logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await service.stop();
  await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
/** The built CLI in an empty directory (no .env), with exactly these settings, stdin not a terminal. */
function cli(args: readonly string[], settings: Record<string, string | undefined> = env): Promise<Ran> {
  const cwd = mkdtempSync(join(tmpdir(), 'talkshop-cli-'));
  const childEnv = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...settings }).filter(([, v]) => v !== undefined));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env: childEnv as NodeJS.ProcessEnv }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

const where = { partition: partitionOf(TEST_PAGE, PSID, 16), userKey: userKeyOf(TEST_PAGE, PSID) };

describe('talkshop users', () => {
  it('export prints the record as JSON; delete needs --yes, then erases through the lane', async () => {
    const res = await postSigned(
      service.port,
      textMessageBody(TEST_PAGE, PSID, 'hello from the cli test', Date.now(), 'm_cli_1'),
    );
    expect(res.status).toBe(200);
    await waitFor('the message applied', async () =>
      (await service.store.states.load(where.partition, where.userKey)).version > 0 ? true : undefined,
    );

    const exported = await cli(['users', 'export', PSID]);
    expect(exported.code).toBe(0);
    const record = JSON.parse(exported.stdout) as {
      psid: string;
      version: number;
      state: { transcript: Array<{ text: string }> };
    };
    expect(record).toMatchObject({ psid: PSID, version: 1, broadcastsReceived: [], forgottenAt: null });
    expect(record.state.transcript.map((t) => t.text)).toContain('hello from the cli test');
    expect(exported.stderr).toMatch(/"audit":true.*"action":"exportUser"/);

    const unconfirmed = await cli(['users', 'delete', PSID]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect((await service.store.states.load(where.partition, where.userKey)).version).toBe(1);

    const deleted = await cli(['users', 'delete', PSID, '--yes']);
    expect(deleted.stderr).toMatch(/"audit":true.*"action":"forgetUser"/);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ psid: PSID, erased: true });
    expect(await service.store.states.load(where.partition, where.userKey)).toEqual({ version: 0, data: null });
    expect(await service.store.states.forgottenAt(where.partition, where.userKey)).not.toBeNull();
  });

  it('refuses a bad PSID and the in-memory store (it lives inside the service), exit 2', async () => {
    const bad = await cli(['users', 'export', 'not a psid']);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    const memory = await cli(['users', 'export', PSID], { ...env, REDIS_URL: undefined });
    expect(memory.code).toBe(2);
    expect(memory.stderr).toContain('REDIS_URL is not set');
  });
});
