import { textMessageBody } from '../../src/cli/sendEvent';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { get, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';
import { disclosed } from '../support/demoDisclosure';

/**
 * Issue #16: sender actions are calls against the Page's rate, so they come last. One seen marker
 * per burst, and none (nor typing) while the Page's bucket is under pressure; replies all go.
 * The real service on the memory store, the shipped flows, the fake Graph API.
 */
let fake: FakeGraphApi;
let service: RunningService | undefined;
let mids = 0;

beforeEach(async () => {
  fake = await startTestGraphApi();
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await fake.stop();
});

const start = async (env: Record<string, string> = {}) => {
  service = await startService(testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url, ...env }));
  return service;
};
const say = (s: RunningService, psid: string, text: string) =>
  postSigned(s.port, textMessageBody(TEST_PAGE, psid, text, Date.now(), `m_cosmetic_${++mids}`));
const ok = (endpoint: string, psid?: string) =>
  fake.calls.filter((c) => c.endpoint === endpoint && c.status === 200 && (psid === undefined || c.recipientId === psid));
const seenMarks = (psid?: string) =>
  ok('sender_action', psid).filter((c) => (c.body as { sender_action: string }).sender_action === 'mark_seen');
const metric = async (s: RunningService, line: string) =>
  (await get(s.port, '/metrics')).body.includes(line) ? true : undefined;

it('a burst of messages gets one seen marker, for its latest message, and every reply in order', async () => {
  const s = await start();
  // Held back until the burst is in: the sender sees the three events' entries together.
  fake.fail.latency(300);
  await say(s, 'burst', 'hello');
  await waitFor('the first seen marker on its way', () => (fake.calls.some((c) => c.recipientId === 'burst') ? true : undefined));
  for (const text of ['menu', 'menu', 'menu']) await say(s, 'burst', text);
  await waitFor('every reply', () => (ok('messages', 'burst').length >= 5 ? true : undefined));
  await waitFor('the superseded markers counted', () =>
    metric(s, 'talkshop_deliveries_total{type="mark_seen",outcome="superseded"}'),
  );
  // The first event's marker went before the burst arrived; of the burst's three, only the last.
  expect(seenMarks('burst').length).toBeLessThan(4);
  const texts = ok('messages', 'burst').map((c) => (c.body as { message: { text?: string } }).message.text);
  expect(texts.slice(2)).toEqual([
    'Pick one, or just type your question.',
    'Pick one, or just type your question.',
    'Pick one, or just type your question.',
  ]);
});

it('under pressure the seen markers are dropped, never queued, and every reply still goes out', async () => {
  // 5 sends a second with room for 4: twelve customers at once keep the bucket near empty.
  const s = await start({ SEND_RATE_PER_SEC: '5', SEND_BURST: '4' });
  const users = Array.from({ length: 12 }, (_, i) => `busy${i}`);
  await Promise.all(users.map((u) => say(s, u, 'menu')));
  await waitFor('a reply to each', () => (users.every((u) => ok('messages', u).length === 1) ? true : undefined), 30_000);
  await waitFor('the dropped markers counted', () =>
    metric(s, 'talkshop_deliveries_total{type="mark_seen",outcome="dropped_busy"}'),
  );
  expect(seenMarks().length).toBeLessThan(users.length);
  expect(ok('sender_action').filter((c) => (c.body as { sender_action: string }).sender_action === 'typing_on')).toHaveLength(0);
});

it('USER_PROFILE_LOOKUP=false: no profile call, and the welcome uses the declared default name', async () => {
  const s = await start({ USER_PROFILE_LOOKUP: 'false' });
  await say(s, 'anon', 'hello');
  await waitFor('the welcome', () => (ok('messages', 'anon').length >= 2 ? true : undefined));
  expect((ok('messages', 'anon')[0]?.body as { message: { text: string } }).message.text).toBe(
    disclosed('Hi there! Welcome to Northwind Outfitters 👟 What can I do for you?'),
  );
  expect(fake.calls.filter((c) => c.endpoint === 'user_profile')).toHaveLength(0);
});
