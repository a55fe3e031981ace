/**
 * `talkshop sequence list|status|start|stop`: the built CLI, spawned as a marketer would run it,
 * on the Redis of a running service under its own key prefix, with a temp FLOWS_DIR holding a flow
 * that subscribes and a two-step sequence. A start from the CLI goes through the user's lane: the
 * first step (due at once) reaches the fake Graph API and shows in `status`; a stop disarms the
 * second. Exit codes as the broadcast commands: 0, 1 (refused), 2 (no such sequence or user).
 */
import { join } from 'node:path';
import pino from 'pino';
import type { SequenceReport } from '../../src/broadcasts/sequenceReport';
import { textMessageBody } from '../../src/cli/sendEvent';
import { loadConfig } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { deletePrefix } from '../support/redisKeys';
import { runBuiltCli } from '../support/runBuiltCli';
import { dripFlowsDir } from '../support/dripFlowsDir';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

const dir = dripFlowsDir({
  prefix: 'talkshop-seq-cli-',
  startsSequence: false,
  steps: [
    '{ id: now, delay: 0m, kind: promotional, messages: [{ text: "drip now" }] }',
    '{ id: later, delay: 2h, kind: promotional, messages: [{ text: "drip later" }] }',
  ],
});

let env: Record<string, string | undefined>;
let fake: FakeGraphApi;
let service: RunningService;

beforeAll(async () => {
  fake = await startTestGraphApi();
  env = testEnv({ GRAPH_API_URL: fake.url, FLOWS_DIR: dir });
  service = await startService(loadConfig(env), { logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
  await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

/** The built CLI in the temp directory (no .env), with these settings. */
const cli = (args: readonly string[], settings: Record<string, string | undefined> = env) => runBuiltCli(args, settings, dir);
const partitions = () => Number(env.INBOX_PARTITIONS);
const stateOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, partitions()), userKeyOf(TEST_PAGE, psid))).data);
const stepTimers = (psid: string) =>
  service.store.timers.pending(partitionOf(TEST_PAGE, psid, partitions()), `${userKeyOf(TEST_PAGE, psid)}|sequence:drip`);
const dripsTo = (psid: string) =>
  fake
    .sentMessages(psid)
    .map((c) => JSON.stringify(c.body))
    .filter((b) => b.includes('drip '));

describe('talkshop sequence', () => {
  it('refuses: unknown sequence or user (2), a bad PSID, no REDIS_URL, flows that do not load (1)', async () => {
    expect(await cli(['sequence', 'status', 'nope'])).toMatchObject({ code: 2, stderr: expect.stringContaining('"nope"') });
    expect((await cli(['sequence', 'start', 'nope', '--psid', 'u1'])).code).toBe(2);
    expect(await cli(['sequence', 'start', 'drip', '--psid', 'nobody-here'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no conversation with nobody-here'),
    });
    expect((await cli(['sequence', 'start', 'drip', '--psid', 'not a psid'])).code).toBe(1);
    expect((await cli(['sequence', 'start', 'drip'])).code).toBe(1);
    expect(await cli(['sequence', 'list'], { ...env, REDIS_URL: undefined })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('/admin/sequences'),
    });
    expect(await cli(['sequence', 'list'], { ...env, FLOWS_DIR: join(dir, 'missing') })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('flows check'),
    });
  });

  it('start → the first step is sent and counted in status; stop disarms the rest; list adds the steps up', async () => {
    const body = textMessageBody(TEST_PAGE, 'u1', 'tips', Date.now(), 'm-seq-cli-1');
    expect((await postSigned(service.port, body)).status).toBe(200);
    await waitFor('the subscription', async () => ((await stateOf('u1')).consent.tips?.subscribed ? true : undefined));

    const started = await cli(['sequence', 'start', 'drip', '--psid', 'u1']);
    expect(started).toMatchObject({ code: 0, stdout: 'start of drip queued for u1\n' });
    await waitFor('the first step at the fake Graph API', () => (dripsTo('u1').length === 1 ? true : undefined));
    await waitFor('the second step armed', async () => ((await stepTimers('u1')).length === 1 ? true : undefined));

    const status = await cli(['sequence', 'status', 'drip', '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as SequenceReport;
    expect(report).toMatchObject({ id: 'drip', name: 'Drip', topic: 'tips' });
    expect(report.steps.map((s) => [s.id, s.delay, s.counts.targeted, s.counts.sent])).toEqual([
      ['now', '0m', 1, 1],
      ['later', '2h', 0, 0],
    ]);
    const table = await cli(['sequence', 'status', 'drip']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe('drip "Drip" (topic tips, 2 steps)');
    expect(table.stdout).toMatch(/\n {2}now +promotional +0m +1 +1 +0 +0 +0 +0 +0\n/);

    expect(await cli(['sequence', 'stop', 'drip', '--psid', 'u1'])).toMatchObject({
      code: 0,
      stdout: 'stop of drip queued for u1\n',
    });
    await waitFor('the step timer disarmed', async () => ((await stepTimers('u1')).length === 0 ? true : undefined));
    expect((await stateOf('u1')).sequences).toEqual({});

    const list = await cli(['sequence', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[1]).toMatch(/^drip +tips +2 +1 +0 +0 +0 +0 +0 +0$/);
    const listed = JSON.parse((await cli(['sequence', 'list', '--json'])).stdout) as { count: number };
    expect(listed.count).toBe(1);
  }, 60_000);
});
