/**
 * Acceptance for issue #18 item 1 (Comments to Messenger), end to end on the production path: the
 * fake Meta posts a signed Page feed webhook (a comment) → the webhook → the commenter's lane in the
 * inbox on real Redis (a unique key prefix per test) → the worker → the outbox sender → the fake
 * Graph API, which holds private replies to Meta's rules (one per comment, 7 days). The demo shop's
 * flows (flows/shop.yaml) answer a comment asking the price. The business clock is injected, so a
 * comment's age is set, never waited for; every wait is on a condition, and before checking that
 * something did NOT happen a test waits until nothing is in flight (tests/support/settled.ts).
 */
import type { Config } from '../../src/config/config';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startService, type RunningService } from '../../src/server';
import { deletePrefix } from '../support/redisKeys';
import { partitionsUpTo, settled } from '../support/settled';
import { TEST_PAGE, TEST_SECRET, testConfig } from '../support/testEnv';
import { get, postSigned, waitFor } from '../support/webhookClient';
import { disclosed } from '../support/demoDisclosure';

const DAY = 24 * 3600_000;
const POST = `${TEST_PAGE}_1111`;
const PRICE = 'Thanks for asking! Our shoes run from $54 to $169. Want to see the ones in your size?';

let clock = 0;
let fake: FakeGraphApi;
let config: Config;
let service: RunningService;

beforeEach(async () => {
  clock = Date.now();
  fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    now: () => clock,
  });
  config = testConfig({ GRAPH_API_URL: fake.url, METRICS_PUBLIC: 'true' });
  service = await startService(config, { now: () => clock });
  fake.webhooks.configure({ url: `http://127.0.0.1:${service.port}/webhooks/messenger` });
});
afterEach(async () => {
  try {
    await service.stop();
    await fake.stop();
  } finally {
    await deletePrefix(config.REDIS_KEY_PREFIX);
  }
});

const quiet = () => settled(service.store, partitionsUpTo(config.INBOX_PARTITIONS));
const comment = (id: string, from: string, text: string, over: { created?: number; post?: string } = {}) =>
  fake.webhooks.comment({
    id,
    post: over.post ?? POST,
    from,
    psid: `psid-${from}`,
    text,
    created: over.created ?? clock - 60_000,
  });
const privateReplies = () =>
  fake.calls.filter(
    (c) =>
      c.endpoint === 'messages' &&
      (c.body as { recipient?: object }).recipient &&
      'comment_id' in (c.body as { recipient: object }).recipient,
  );
const metric = async (line: string): Promise<string | undefined> =>
  (await get(service.port, '/metrics')).body.split('\n').find((l) => l.startsWith(line));

it('a comment "price?" gets exactly one private reply with the configured quick replies, and one public reply, even redelivered', async () => {
  expect(await comment('1111_2001', '7001', 'price?')).toBe(200);
  await waitFor('the private and the public reply', () =>
    fake.comments.privateReplies.length === 1 && fake.comments.publicReplies.length === 1 ? true : undefined,
  );
  const [call] = privateReplies();
  expect(call?.status).toBe(200);
  expect(call?.body).toEqual({
    recipient: { comment_id: '1111_2001' },
    messaging_type: 'RESPONSE',
    message: {
      text: disclosed(PRICE),
      quick_replies: [
        { content_type: 'text', title: 'Shop shoes', payload: 'TS|shop|comment_price|s0q0' },
        { content_type: 'text', title: 'Get 10% off', payload: 'TS|shop|comment_price|s0q1' },
        { content_type: 'text', title: 'Talk to a person', payload: 'TS|shop|comment_price|s0q2' },
      ],
    },
  });
  expect(fake.comments.publicReplies).toEqual([
    expect.objectContaining({ parent: '1111_2001', text: 'Sent you a message with our prices 📩' }),
  ]);

  // Meta redelivers the same feed change (twice): nothing more is sent.
  expect(await comment('1111_2001', '7001', 'price?')).toBe(200);
  expect(await comment('1111_2001', '7001', 'price?')).toBe(200);
  await quiet();
  expect(privateReplies()).toHaveLength(1);
  expect(fake.comments.publicReplies).toHaveLength(1);
  expect(await metric('talkshop_webhook_events_deduped_total')).toBe('talkshop_webhook_events_deduped_total 2');
  // The commenter's feed id never reached the Send API as a recipient.
  expect(fake.calls.some((c) => JSON.stringify(c.body ?? '').includes('"id":"feed:'))).toBe(false);
});

it('a tap on the private reply continues the flow in the person’s own lane (their PSID)', async () => {
  await comment('1111_2002', '7002', 'How much are they?');
  await waitFor('the private reply', () => (fake.comments.privateReplies.length === 1 ? true : undefined));
  const [reply] = fake.comments.privateReplies;
  expect(reply?.psid).toBe('psid-7002');
  const tap = (reply?.message as { quick_replies: Array<{ title: string; payload: string }> }).quick_replies[0];
  // Messenger sends the tap as an ordinary quick reply from the person's PSID.
  const body = JSON.stringify({
    object: 'page',
    entry: [
      {
        id: TEST_PAGE,
        time: clock,
        messaging: [
          {
            sender: { id: 'psid-7002' },
            recipient: { id: TEST_PAGE },
            timestamp: clock,
            message: { mid: 'm_tap_1', text: tap?.title, quick_reply: { payload: tap?.payload } },
          },
        ],
      },
    ],
  });
  expect((await postSigned(service.port, body)).status).toBe(200);
  const asked = await waitFor('the flow going on', () =>
    fake.sentMessages('psid-7002').find((c) => JSON.stringify(c.body).includes("What's your EU shoe size?")),
  );
  expect((asked.body as { recipient: unknown }).recipient).toEqual({ id: 'psid-7002' });
});

it('a comment older than 7 days gets nothing, and is counted', async () => {
  await comment('1111_2003', '7003', 'price?', { created: clock - 8 * DAY });
  await quiet();
  expect(fake.comments.privateReplies).toHaveLength(0);
  expect(fake.comments.publicReplies).toHaveLength(0);
  expect(await metric('talkshop_deliveries_total{type="comment_skipped",outcome="too_old"}')).toMatch(/ 1$/);
});

it('a second matching comment of the same person on another post that day: its public reply, no second private reply', async () => {
  await comment('1111_2004', '7004', 'price?');
  await waitFor('the first answers', () => (fake.comments.publicReplies.length === 1 ? true : undefined));
  await comment('2222_2005', '7004', 'and the price of these?', { post: `${TEST_PAGE}_2222` });
  await waitFor('the second public reply', () => (fake.comments.publicReplies.length === 2 ? true : undefined));
  await quiet();
  expect(fake.comments.privateReplies.map((r) => r.id)).toEqual(['1111_2004']);
  expect(await metric('talkshop_deliveries_total{type="comment_skipped",outcome="capped"}')).toMatch(/ 1$/);
  // Another person commenting is answered as usual.
  await comment('2222_2006', '7005', 'price please');
  await waitFor('their private reply', () => (fake.comments.privateReplies.length === 2 ? true : undefined));
});

it("ignores the Page's own comments and comments no trigger hears", async () => {
  expect(await comment('1111_2007', TEST_PAGE, 'price? see your messages')).toBe(200);
  expect(await comment('1111_2008', '7006', 'lovely colours')).toBe(200);
  await quiet();
  expect(fake.comments.privateReplies).toHaveLength(0);
  expect(await metric('talkshop_webhook_events_ignored_total{reason="feed_own"}')).toMatch(/ 1$/);
});
