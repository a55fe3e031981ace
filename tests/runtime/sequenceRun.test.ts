import type { Config } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { BroadcastStore } from '../../src/store/ports';
import { startService, type RunningService } from '../../src/server';
import { dripFlowsDir } from '../support/dripFlowsDir';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';
import { textMessageBody } from '../../src/cli/sendEvent';

/**
 * A drip sequence end to end on Redis with a fake clock: a user subscribes through a flow, each
 * step's timer fires through the timer pump into the user's lane, the step is sent (or skipped
 * with its reason) and counted, and a restart of the service between steps changes nothing.
 */
const HOUR = 3600_000;
const T0 = Date.UTC(2026, 10, 23, 12);
let clock = T0;
const dir = dripFlowsDir({
  prefix: 'talkshop-seq-',
  startsSequence: true,
  steps: [
    '{ id: s0, delay: 0m, kind: promotional, messages: [{ text: "drip s0" }] }',
    '{ id: s1, delay: 1h, kind: promotional, messages: [{ text: "drip s1" }] }',
    '{ id: s2, delay: 22h, kind: promotional, messages: [{ text: "drip s2" }] }',
    '{ id: s3, delay: 2d, from: subscription, kind: promotional, messages: [{ text: "drip s3" }] }',
  ],
});

let fake: FakeGraphApi;
let config: Config;
let service: RunningService;
const USERS = ['d1', 'd2', 'd3'];

const start = () => startService(config, { now: () => clock });
const dripsTo = (psid: string) =>
  fake
    .sentMessages(psid)
    .map((c) => JSON.stringify(c.body))
    .filter((b) => b.includes('drip s'))
    .map((b) => /drip s\d/.exec(b)?.[0]);
const stateOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data);
const stats = (step: string) =>
  (service.store.broadcasts as BroadcastStore).stats(
    `seq.drip.${step}`,
    Array.from({ length: 16 }, (_, p) => p),
  );

beforeAll(async () => {
  fake = await startTestGraphApi({ now: () => clock });
  config = testConfig({ FLOWS_DIR: dir, GRAPH_API_URL: fake.url, INBOX_PARTITIONS: '16' });
  service = await start();
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
});

it('sends each step once at its time, skips the one outside the window, and survives a restart between steps', async () => {
  for (const [i, u] of USERS.entries())
    expect((await postSigned(service.port, textMessageBody(TEST_PAGE, u, 'tips', clock, `m-seq-${i}`))).status).toBe(200);
  await waitFor('step 0 to everyone', () => (USERS.every((u) => dripsTo(u).length === 1) ? true : undefined));

  clock = T0 + HOUR + 1000;
  await waitFor('step 1 to everyone', () => (USERS.every((u) => dripsTo(u).length === 2) ? true : undefined));

  // A restart between steps: the timers are in the store, the new process fires them.
  await service.stop();
  service = await start();
  clock = T0 + 23 * HOUR + 2000;
  await waitFor('step 2 to everyone', () => (USERS.every((u) => dripsTo(u).length === 3) ? true : undefined));

  clock = T0 + 48 * HOUR + 3000; // +2 d: the window closed at +24 h (their last message was at T0)
  await waitFor('step 3 decided for everyone', async () => {
    const s = await stats('s3');
    return s['skipped:outside_window'] === USERS.length ? s : undefined;
  });
  await waitFor('the sequence ended for everyone', async () => {
    for (const u of USERS) if (Object.keys((await stateOf(u)).sequences).length > 0) return undefined;
    return true;
  });
  for (const u of USERS) expect(dripsTo(u)).toEqual(['drip s0', 'drip s1', 'drip s2']);
  expect(await stats('s0')).toMatchObject({ targeted: 3, queued: 3, sent: 3 });
  expect(await stats('s2')).toMatchObject({ targeted: 3, queued: 3, sent: 3 });
  // Steps go as UPDATE, without typing.
  const step = fake.sentMessages('d1').find((c) => JSON.stringify(c.body).includes('drip s1'));
  expect((step?.body as { messaging_type: string }).messaging_type).toBe('UPDATE');
}, 120_000);
