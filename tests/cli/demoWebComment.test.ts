/**
 * The demo page's comment box over HTTP (src/cli/demoWebComment.ts), on the built demo run as a
 * child process as a user runs it: a customer's comment "price?" under the Page's post goes to the
 * bot as a signed Page feed webhook; the private reply, with the shop's quick replies, comes back
 * on the stream for that customer and names the comment; the public reply shows under it; a tap
 * continues the flow in the customer's own lane. A second matching comment from the same customer
 * within 24 hours gets its public reply and no second message (comments.private_replies_per_day: 1),
 * while another customer's comment gets a private reply of its own. Malformed requests are refused;
 * under `serve` the route does not exist. In-process: the body posted is a signed feed change the
 * service reads as a comment by fb-<customer>, and the fake Graph API is told the customer's PSID.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDemoWeb, type DemoWeb } from '../../src/cli/demoWeb';
import { COMMENT_TEXT_MAX, DEMO_COMMENT_BODY_LIMIT } from '../../src/cli/demoWebComment';
import type { DemoStreamEvent } from '../../src/cli/demoWebStream';
import type { FakeComment } from '../../src/emulator/fakeComments';
import type { FakeCall } from '../../src/emulator/fakeGraphApi';
import { toFeedEvent } from '../../src/webhook/parseFeed';
import { signBody } from '../../src/webhook/verifySignature';
import { startShopDemo, type ShopDemo } from '../support/spawnDemo';
import { spawnService, type SpawnedService } from '../support/spawnService';
import { openSse, type SseClient } from '../support/sseClient';
import { testEnv } from '../support/testEnv';
import { post, waitFor } from '../support/webhookClient';

let demo: ShopDemo | undefined;
let port: number;
let stream: SseClient;

const postComment = (body: string, contentType = 'application/json') =>
  post(port, '/demo/api/comments', body, { 'content-type': contentType });
const events = () => stream.frames.map((f) => JSON.parse(f.data) as DemoStreamEvent);
type Of<K extends DemoStreamEvent['kind']> = Extract<DemoStreamEvent, { kind: K }>;
const find = <K extends DemoStreamEvent['kind']>(kind: K, test: (e: Of<K>) => boolean) =>
  events().find((e): e is Of<K> => e.kind === kind && test(e as Of<K>));
const accepted = async (customer: string, text: string): Promise<string> => {
  const res = await postComment(JSON.stringify({ customer, text }));
  expect(res.status).toBe(202);
  const body = JSON.parse(res.body) as { accepted: boolean; post: string; comment: string };
  expect(body).toEqual({ accepted: true, post: 'demo-page_1', comment: expect.stringMatching(/^1_\d+$/) as unknown });
  return body.comment;
};
const privateReplyTo = (comment: string) => find('message', (e) => e.privateReplyTo === comment);
const publicReplyTo = (comment: string) => find('comment_reply', (e) => e.comment === comment);

beforeAll(async () => {
  demo = await startShopDemo('talkshop-demo-comment-');
  port = demo.port;
  stream = await openSse(port, '/demo/api/stream');
});
afterAll(async () => {
  stream?.close();
  await demo?.stop();
});

it('"price?" under the post: the private reply opens the customer\'s thread with quick replies, the public reply shows under it, a tap continues', async () => {
  const comment = await accepted('cm-1', 'price?');
  expect(find('comment', (e) => e.id === comment)).toMatchObject({ customer: 'cm-1', post: 'demo-page_1', text: 'price?' });

  const reply = await waitFor('the private reply on the stream', () => privateReplyTo(comment));
  expect(reply.customer).toBe('cm-1');
  expect('text' in reply.message && reply.message.text).toContain('Our shoes run from $54 to $169');
  const titles = (reply.message.quick_replies ?? []).map((q) => ('title' in q ? q.title : q.content_type));
  expect(titles).toEqual(['Shop shoes', 'Get 10% off', 'Talk to a person']);
  const under = await waitFor('the public reply under the comment', () => publicReplyTo(comment));
  expect(under).toMatchObject({ customer: 'cm-1', text: 'Sent you a message with our prices 📩' });
  // The demo prints both, as it prints every Graph call.
  await waitFor('the printed private reply', () => demo?.run.lines.find((l) => l.includes(`comment ${comment}`)));

  // The tap is an ordinary Messenger quick reply from the customer's PSID: their own lane goes on.
  const shop = reply.message.quick_replies?.find((q) => 'title' in q && q.title === 'Shop shoes');
  const tap = {
    customer: 'cm-1',
    type: 'quick_reply',
    title: 'Shop shoes',
    payload: shop && 'payload' in shop ? shop.payload : '',
  };
  expect((await post(port, '/demo/api/events', JSON.stringify(tap), { 'content-type': 'application/json' })).status).toBe(202);
  await waitFor('the size question', () =>
    find('message', (e) => e.customer === 'cm-1' && 'text' in e.message && e.message.text.includes("What's your EU shoe size?")),
  );
});

it('a second matching comment from the same customer gets its public reply and no message; another customer gets their own', async () => {
  const first = await waitFor('the first test’s comment', () => find('comment', (e) => e.customer === 'cm-1'));
  await waitFor('its private reply', () => privateReplyTo(first.id));
  const second = await accepted('cm-1', 'how much for the trail ones?');
  const other = await accepted('cm-2', 'Price?');
  await waitFor('the public reply under the second comment', () => publicReplyTo(second));
  await waitFor("the other customer's private reply", () => privateReplyTo(other));
  await waitFor("the other customer's public reply", () => publicReplyTo(other));
  // The public reply follows the private one when there is one (one outbox entry, in order): none came.
  expect(privateReplyTo(second)).toBeUndefined();
  expect(
    events()
      .filter((e) => e.kind === 'message' && e.privateReplyTo !== undefined)
      .map((e) => e.customer),
  ).toEqual(['cm-1', 'cm-2']);
});

it('a comment of 8,000 characters is taken (Meta’s limit); one character more is not', async () => {
  await accepted('cm-3', 'x'.repeat(COMMENT_TEXT_MAX));
  const res = await postComment(JSON.stringify({ customer: 'cm-3', text: 'x'.repeat(COMMENT_TEXT_MAX + 1) }));
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toMatchObject({ error: expect.stringContaining('not a comment') as unknown });
});

describe('refuses what is not a comment', () => {
  it.each([
    ['a body that is not JSON', '{"customer":', 400, 'the body is not JSON'],
    ['no text', JSON.stringify({ customer: 'c-1' }), 400, 'not a comment'],
    ['an empty text', JSON.stringify({ customer: 'c-1', text: '' }), 400, 'not a comment'],
    ['a customer that is not a demo PSID', JSON.stringify({ customer: '../x', text: 'price?' }), 400, 'not a comment'],
    ['another field', JSON.stringify({ customer: 'c-1', text: 'price?', post: 'other' }), 400, 'not a comment'],
    ['a body over the cap', JSON.stringify({ customer: 'c-1', text: 'x'.repeat(DEMO_COMMENT_BODY_LIMIT) }), 413, 'at most'],
  ])('%s', async (_what, body, status, error) => {
    const res = await postComment(body);
    expect(res.status).toBe(status);
    expect((JSON.parse(res.body) as { error: string }).error).toContain(error);
  });

  it('not sent as JSON (as a form from another site would be): 415; the wrong method: 405', async () => {
    expect((await postComment(JSON.stringify({ customer: 'c-1', text: 'price?' }), 'text/plain')).status).toBe(415);
    expect((await fetch(`http://127.0.0.1:${port}/demo/api/comments`)).status).toBe(405);
  });

  it('nothing refused reached the stream', () => {
    expect(events().filter((e) => e.kind === 'comment' && e.customer === 'c-1')).toEqual([]);
  });
});

it('under `serve` the comment route does not exist', async () => {
  let service: SpawnedService | undefined;
  try {
    service = await spawnService(testEnv({ REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined }));
    const res = await fetch(`http://127.0.0.1:${service.port}/demo/api/comments`, {
      method: 'POST',
      body: JSON.stringify({ customer: 'c-1', text: 'price?' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
  } finally {
    service?.proc.kill('SIGTERM');
    await service?.exited();
  }
});

describe('in-process: the webhook body, the fake told of the commenter, the public reply on the stream', () => {
  const NOW = 1_790_000_000_000;
  let web: DemoWeb;
  let server: Server;
  let webhook: Server;
  let webPort: number;
  let webhookUrl: string;
  const received: Array<{ signature: string | undefined; body: string }> = [];
  const told: FakeComment[] = [];
  let emit: (call: FakeCall) => void = () => undefined;
  let sse: SseClient;

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ signature: req.headers['x-hub-signature-256'] as string | undefined, body });
        res.writeHead(200).end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/messenger`;
    web = startDemoWeb({
      appSecret: 'demo-secret',
      pageId: 'demo-page',
      now: () => NOW,
      onCall: (listener) => {
        emit = listener;
        return () => undefined;
      },
      comments: { add: (c) => told.push(c) },
    });
    server = createServer((req, res) => {
      if (!web.route(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webPort = (server.address() as AddressInfo).port;
    sse = await openSse(webPort, '/demo/api/stream');
  });
  afterAll(async () => {
    sse?.close();
    web.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  });
  const comment = () =>
    post(webPort, '/demo/api/comments', JSON.stringify({ customer: 'c-1', text: 'price?' }), {
      'content-type': 'application/json',
    });
  const frames = () => sse.frames.map((f) => JSON.parse(f.data) as DemoStreamEvent);

  it('before the webhook listens, a comment is refused with 503 and nothing is posted or shown', async () => {
    expect((await comment()).status).toBe(503);
    expect([received, told, sse.frames]).toEqual([[], [], []]);
  });

  it('a comment is a Page feed change, signed, that the service reads as a comment by fb-<customer>; the fake learns its PSID', async () => {
    web.attach(webhookUrl);
    const res = await comment();
    expect(res.status).toBe(202);
    const id = (JSON.parse(res.body) as { comment: string }).comment;
    expect(received).toHaveLength(1);
    expect(received[0]!.signature).toBe(signBody(received[0]!.body, 'demo-secret'));
    const body = JSON.parse(received[0]!.body) as { object: string; entry: Array<{ id: string; changes: unknown[] }> };
    expect([body.object, body.entry[0]?.id]).toEqual(['page', 'demo-page']);
    expect(toFeedEvent(body.entry[0]?.changes[0], 'demo-page', NOW)).toMatchObject({
      kind: 'comment',
      raw: { comment: { item: 'comment', id, post: 'demo-page_1', from: 'fb-c-1', text: 'price?', created: NOW } },
    });
    expect(told).toEqual([
      { id, post: 'demo-page_1', from: 'fb-c-1', psid: 'c-1', created: NOW, item: 'comment', text: 'price?' },
    ]);
    await waitFor('the comment on the stream', () => frames().find((e) => e.kind === 'comment'));

    // The bot's public reply under it reaches the fake: the stream shows it to the commenter.
    const call = (commentId: string, status = 200): FakeCall => ({
      method: 'POST',
      path: `/v23.0/${commentId}/comments`,
      endpoint: 'comment_reply',
      query: {},
      tokenIn: 'header',
      body: { message: 'Sent you a message' },
      recipientId: undefined,
      at: NOW,
      status,
      response: { id: '1_9000001' },
    });
    emit(call('1_999', 200)); // a comment the page never posted: nobody to show it to
    emit(call(id, 400)); // refused by the fake: not on Facebook
    emit(call(id));
    const reply = await waitFor('the public reply on the stream', () => frames().find((e) => e.kind === 'comment_reply'));
    expect(reply).toEqual({ kind: 'comment_reply', customer: 'c-1', at: NOW, comment: id, text: 'Sent you a message' });
    expect(frames().filter((e) => e.kind === 'comment_reply')).toHaveLength(1);
  });
});
