/**
 * The admin API's sequence routes against a real service on the in-memory store, with a fake clock
 * (the timer pump fires step timers on it) and the fake Graph API reporting deliveries and reads:
 * a marketer starts a sequence for a subscribed user, the first step is sent once its delay has
 * passed and its counters (sent, delivered, read) show in GET /admin/sequences/:id; a stop disarms
 * the rest. Refusals: agents (403), bad bodies (400), unknown sequences and users (404).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { dripFlowsDir } from '../support/dripFlowsDir';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const TOKENS = `anna:agent:${AGENT},mark:marketer:${MARKETER}`;
const HOUR = 3600_000;
const T0 = Date.UTC(2026, 10, 23, 12);
const PARTITIONS = 4;
let clock = T0;

// The flow only subscribes: the sequence is started through the admin route.
const dir = dripFlowsDir({
  prefix: 'talkshop-seq-admin-',
  startsSequence: false,
  steps: [
    '{ id: first, delay: 1h, kind: promotional, messages: [{ text: "drip first" }] }',
    '{ id: second, delay: 2h, window: { hours: ["08:00", "21:00"] }, kind: promotional, messages: [{ text: "drip second" }] }',
  ],
});

const auditLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.audit === true) auditLines.push(parsed);
    }
    done();
  },
});

let fake: FakeGraphApi;
let service: RunningService;

beforeAll(async () => {
  fake = await startTestGraphApi({ now: () => clock });
  const config = testConfig({
    REDIS_URL: undefined,
    FLOWS_DIR: dir,
    GRAPH_API_URL: fake.url,
    ADMIN_TOKENS: TOKENS,
    ADMIN_PORT: '0',
    INBOX_PARTITIONS: String(PARTITIONS),
  });
  service = await startService(config, { now: () => clock, logger: pino({ level: 'info' }, sink) });
  fake.webhooks.configure({
    url: `http://127.0.0.1:${service.port}/webhooks/messenger`,
    autoDeliver: { delayMs: 10, readDelayMs: 10 },
  });
});
afterAll(async () => {
  fake.webhooks.unconfigure();
  await service.stop();
  await fake.stop();
});

const call = async (method: string, path: string, body?: unknown, token = MARKETER) => {
  const res = await fetch(`http://127.0.0.1:${service.adminPort}/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const dripsTo = (psid: string) =>
  fake
    .sentMessages(psid)
    .map((c) => JSON.stringify(c.body))
    .filter((b) => b.includes('drip '));
/** The user's armed step timer (the sender arms and disarms it in the timer store). */
const stepTimers = (psid: string) =>
  service.store.timers.pending(partitionOf(TEST_PAGE, psid, PARTITIONS), `${userKeyOf(TEST_PAGE, psid)}|sequence:drip`);
const stateOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, PARTITIONS), userKeyOf(TEST_PAGE, psid))).data);
interface StepView {
  id: string;
  delay: string;
  counts: { targeted: number; sent: number; delivered: number; read: number; skipped: Record<string, number> };
  rates: { delivered: number | null };
}
const steps = async () => (await call('GET', '/sequences/drip')).body.steps as StepView[];
let mids = 0;
const say = async (psid: string, text: string) =>
  expect((await postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m-sa-${(mids += 1)}`))).status).toBe(200);

it('refuses agents (403), bad bodies (400), sequences no file defines and unknown users (404)', async () => {
  const agent = await call('GET', '/sequences', undefined, AGENT);
  expect(agent).toMatchObject({ status: 403, body: { needs: ['marketer', 'operator'] } });
  expect((await call('POST', '/users/u1/sequences', { sequence: 'drip', action: 'start' }, AGENT)).status).toBe(403);
  expect(await call('GET', '/sequences/Not_An_Id')).toMatchObject({ status: 400, body: { field: 'id' } });
  expect((await call('GET', '/sequences/nope')).status).toBe(404);
  expect(await call('POST', '/users/u1/sequences', { sequence: 'drip', action: 'pause' })).toMatchObject({
    status: 400,
    body: { field: 'action' },
  });
  expect(await call('POST', '/users/u1/sequences', { sequence: 'drip' })).toMatchObject({
    status: 400,
    body: { field: 'action' },
  });
  expect(await call('POST', '/users/u1/sequences', { sequence: 'drip', action: 'start', extra: 1 })).toMatchObject({
    status: 400,
  });
  expect(await call('POST', '/users/u1/sequences', { sequence: 'gone', action: 'start' })).toMatchObject({
    status: 404,
    body: { message: expect.stringContaining('"gone"') as unknown },
  });
  expect(await call('POST', '/users/nobody-here/sequences', { sequence: 'drip', action: 'start' })).toMatchObject({
    status: 404,
    body: { message: expect.stringContaining('No conversation') as unknown },
  });
});

it('lists the sequences with each step and its headline counts, all zero before anything ran', async () => {
  const list = await call('GET', '/sequences');
  expect(list.status).toBe(200);
  expect(list.body).toEqual({
    count: 1,
    sequences: [
      {
        id: 'drip',
        name: 'Drip',
        topic: 'tips',
        steps: ['first', 'second'].map((id) => ({
          id,
          kind: 'promotional',
          targeted: 0,
          sent: 0,
          skipped: 0,
          failed: 0,
          delivered: 0,
          read: 0,
          clicked: 0,
          replied: 0,
        })),
      },
    ],
  });
  const report = await steps();
  expect(report.map((s) => [s.id, s.delay])).toEqual([
    ['first', '1h'],
    ['second', '2h'],
  ]);
  expect(report[1]).toMatchObject({ window: { hours: ['08:00', '21:00'] }, rates: { delivered: null } });
});

it('starts through the route (202, audited): the first step is sent after its delay and counted; stop ends the rest', async () => {
  await say('u1', 'tips');
  await waitFor('the subscription', async () => ((await stateOf('u1')).consent.tips?.subscribed ? true : undefined));

  const started = await call('POST', '/users/u1/sequences', { sequence: 'drip', action: 'start' });
  expect(started).toMatchObject({ status: 202, body: { queued: 'sequence', sequence: 'drip', action: 'start', psid: 'u1' } });
  expect(auditLines.find((l) => l.action === 'userSequence' && l.status === 202)).toMatchObject({
    token: 'mark',
    psid: 'u1',
    sequence: 'drip',
  });
  await waitFor('the first step armed', async () =>
    (await stateOf('u1')).sequences.drip?.stepId === 'first' ? true : undefined,
  );
  expect(dripsTo('u1')).toEqual([]);

  clock = T0 + HOUR + 1000;
  await waitFor('the first step at the fake Graph API', () => (dripsTo('u1').length === 1 ? true : undefined));
  const first = await waitFor('its delivery and read counted', async () => {
    const s = (await steps())[0];
    return s && s.counts.read === 1 && s.counts.delivered === 1 ? s : undefined;
  });
  expect(first.counts).toMatchObject({ targeted: 1, sent: 1, delivered: 1, read: 1, skipped: {} });
  expect(first.rates.delivered).toBe(1);
  expect((await call('GET', '/sequences')).body.sequences).toMatchObject([
    {
      id: 'drip',
      steps: [
        { id: 'first', targeted: 1, sent: 1, delivered: 1, read: 1 },
        { id: 'second', sent: 0 },
      ],
    },
  ]);
  await waitFor('the second step armed', async () =>
    (await stateOf('u1')).sequences.drip?.stepId === 'second' ? true : undefined,
  );
  const armed = await waitFor('its timer in the store', async () => (await stepTimers('u1'))[0]);
  expect(armed.dueAt).toBe(T0 + 3 * HOUR + 1000);

  expect(await call('POST', '/users/u1/sequences', { sequence: 'drip', action: 'stop' })).toMatchObject({
    status: 202,
    body: { action: 'stop' },
  });
  await waitFor('the sequence stopped', async () =>
    Object.keys((await stateOf('u1')).sequences).length === 0 ? true : undefined,
  );
  await waitFor('its step timer disarmed', async () => ((await stepTimers('u1')).length === 0 ? true : undefined));

  // Past the second step's time: a message from the user goes through the same lane after the
  // timer pump's turn, so once it is answered a step the stop failed to disarm would have been decided.
  clock = T0 + 4 * HOUR;
  const before = fake.sentMessages('u1').length;
  await say('u1', 'hello again');
  await waitFor('the reply to the later message', () => (fake.sentMessages('u1').length > before ? true : undefined));
  expect(dripsTo('u1')).toHaveLength(1);
  expect((await steps())[1]?.counts).toMatchObject({ targeted: 0, sent: 0 });
}, 60_000);
