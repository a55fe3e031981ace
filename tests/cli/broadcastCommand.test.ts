/**
 * `talkshop broadcast create|status|list|pause|resume|cancel|test`: the built CLI, spawned as a
 * marketer would run it (no terminal: progress lines instead of the bar), on the Redis of a
 * running service under its own key prefix, with the fake Graph API answering the sends.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { BroadcastView } from '../../src/broadcasts/broadcastCounts';
import { textMessageBody } from '../../src/cli/sendEvent';
import { loadConfig } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startService, type RunningService } from '../../src/server';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { deletePrefix } from '../support/redisKeys';
import { runBuiltCli } from '../support/runBuiltCli';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

const FLOWS = join(__dirname, '..', '..', 'flows');
let env: Record<string, string | undefined>;
let fake: FakeGraphApi;
let service: RunningService;
const dir = mkdtempSync(join(tmpdir(), 'talkshop-broadcast-'));

beforeAll(async () => {
  fake = await startTestGraphApi();
  env = testEnv({ GRAPH_API_URL: fake.url, FLOWS_DIR: FLOWS });
  service = await startService(loadConfig(env), { logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
  await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

/** The built CLI in an empty directory (no .env), with these settings. */
const cli = (args: readonly string[], settings: Record<string, string | undefined> = env) => runBuiltCli(args, settings, dir);
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const definition = (id: string, extra = '') =>
  `id: ${id}\nname: Account notice ${id}\nkind: tagged\ntag: ACCOUNT_UPDATE\naudience:\n  where: ["tag!=nobody"]\nmessages:\n  - text: Your account settings changed (${id}).\n${extra}`;

describe('talkshop broadcast', () => {
  it('create (scheduled) → status --json shows it; pause, resume, cancel move as allowed; exit codes 0, 1, 2', async () => {
    const created = await cli([
      'broadcast',
      'create',
      file('later.yaml', definition('later', 'at: 2030-01-01T09:00:00Z\n')),
      '--json',
    ]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      id: 'later',
      status: 'scheduled',
      createdBy: expect.stringMatching(/^cli/),
    });
    expect(created.stderr).toContain('talkshop broadcast status later --watch');

    const status = await cli(['broadcast', 'status', 'later', '--json']);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout) as BroadcastView;
    expect(view).toMatchObject({
      id: 'later',
      kind: 'tagged',
      status: 'scheduled',
      counts: { targeted: 0, sent: 0, skipped: {}, failed: {} },
    });
    expect(view.progress).toMatchObject({ partitions: 16, finished: false });

    expect(await cli(['broadcast', 'pause', 'later'])).toMatchObject({ code: 0, stdout: 'later: paused\n' });
    const twice = await cli(['broadcast', 'pause', 'later']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('only a scheduled or running broadcast can be paused');
    expect(await cli(['broadcast', 'cancel', 'later'])).toMatchObject({ code: 0, stdout: 'later: cancelled\n' });
    expect((await cli(['broadcast', 'resume', 'later'])).code).toBe(1);
    expect(JSON.parse((await cli(['broadcast', 'status', 'later', '--json'])).stdout)).toMatchObject({
      status: 'cancelled',
      progress: { finished: true },
    });

    expect((await cli(['broadcast', 'status', 'no-such'])).code).toBe(2);
    expect((await cli(['broadcast', 'cancel', 'no-such'])).code).toBe(2);
    const again = await cli(['broadcast', 'create', file('again.yaml', definition('later')), '--no-wait']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already created');
  });

  it('refuses an invalid definition with file:line and fix (exit 1), and the in-memory store', async () => {
    const human = await cli([
      'broadcast',
      'create',
      file('human.yaml', definition('human').replace('ACCOUNT_UPDATE', 'HUMAN_AGENT')),
    ]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/human\.yaml:4: tag: HUMAN_AGENT is not allowed on a broadcast[\s\S]*fix: /);
    expect((await cli(['broadcast', 'status', 'human', '--json'])).code).toBe(2);
    const memory = await cli(['broadcast', 'list'], { ...env, REDIS_URL: undefined });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toContain('REDIS_URL is not set');
  });

  it('create follows the sending until nothing is in flight, then prints the summary; list shows it', async () => {
    for (const psid of ['cb-1', 'cb-2'])
      expect((await postSigned(service.port, textMessageBody(TEST_PAGE, psid, 'hi', Date.now(), `m_${psid}`))).status).toBe(200);
    await waitFor('both users answered', () =>
      fake.sentMessages('cb-1').length > 0 && fake.sentMessages('cb-2').length > 0 ? true : undefined,
    );

    const now = await cli(['broadcast', 'create', file('now.yaml', definition('now'))]);
    expect(now.code).toBe(0);
    expect(now.stderr).toMatch(/now: (running|done) \| sent \d+ \| skipped 0 \| failed 0 \| [\d.]+\/s/);
    expect(now.stdout).toMatch(/^now "Account notice now": done\n {2}targeted +2\n {2}sent +2 \(100\.0%\)\n/);
    for (const psid of ['cb-1', 'cb-2'])
      expect(fake.sentMessages(psid).some((c) => JSON.stringify(c.body).includes('Your account settings changed (now).'))).toBe(
        true,
      );

    const listed = await cli(['broadcast', 'list', '--json']);
    expect(listed.code).toBe(0);
    const { broadcasts } = JSON.parse(listed.stdout) as { broadcasts: BroadcastView[] };
    expect(broadcasts.map((b) => [b.id, b.status, b.counts.sent])).toEqual([
      ['now', 'done', 2],
      ['later', 'cancelled', 0],
    ]);

    const before = fake.sentMessages('cb-1').length;
    expect(await cli(['broadcast', 'test', 'now', '--psid', 'cb-1'])).toMatchObject({
      code: 0,
      stdout: 'test of now queued for cb-1\n',
    });
    await waitFor('the test send', () => (fake.sentMessages('cb-1').length > before ? true : undefined));
    expect((await cli(['broadcast', 'test', 'now'])).code).toBe(1);
  });

  it("sync-tokens reads Meta's subscriber list into the users' states; a second run adds nothing", async () => {
    const psid = 'synced-1';
    fake.marketing.addToken({ token: 'tok-synced-1', psid, topic: 'offers', expiresAt: Date.now() + 90 * 86_400_000 });
    const first = await cli(['broadcast', 'sync-tokens', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ appended: 1, complete: true });
    const partition = partitionOf(TEST_PAGE, psid, Number(env.INBOX_PARTITIONS));
    const state = await waitFor('the token recorded', async () => {
      const s = decodeUserState((await service.store.states.load(partition, userKeyOf(TEST_PAGE, psid))).data);
      return s.marketingTokens.offers ? s : undefined;
    });
    expect(state.marketingTokens.offers).toMatchObject({ token: 'tok-synced-1', status: 'active' });
    expect(state.consent.offers).toMatchObject({ subscribed: true, source: 'messenger:sync' });
    expect(JSON.parse((await cli(['broadcast', 'sync-tokens', '--json'])).stdout)).toMatchObject({ appended: 0, duplicates: 1 });
  });
});
