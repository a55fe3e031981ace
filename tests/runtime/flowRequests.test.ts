/**
 * Issue #12 acceptance, end to end on the production path: signed webhook → inbox on Redis →
 * worker → outbox → the sender starts the flow's request (FlowRequests) → a real HTTP "shop" on
 * 127.0.0.1 → the result back through the user's inbox → the flow's branch → the fake Graph API.
 * Found, not found (404), failed (500) and timeout, and a customer who writes while the request
 * is out. Every wait is on a condition; the slow answer is held until the test releases it.
 */
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { WEBHOOK_HEADERS, verifyWebhook } from '../../src/requests/webhookSignature';
import { startService, type RunningService } from '../../src/server';
import { flowsDir, lastSaidIs, loopbackSettings, sentTexts } from '../support/loopbackFlows';
import { deletePrefix } from '../support/redisKeys';
import { storeDump } from '../support/storeDump';
import { TEST_PAGE, TEST_SECRET, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

const TOKEN_VALUE = 'shop-secret-value-7f3a9c';
const ADMIN_TOKEN = 'admin-token-requests-0123456789';
const logLines: string[] = [];

let fake: FakeGraphApi;
let shop: Server;
let shopPort = 0;
let service: RunningService;
let prefix = '';
let dir = '';
let mids = 0;
/** Requests the shop received: path and authorization header. */
const seen: Array<{ path: string; auth: string | undefined }> = [];
/** Answers the shop holds back until the test says so. */
const held: Array<() => void> = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/crm/leads') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      leads.push({ body, headers: req.headers });
      res.writeHead(200).end();
    });
    return;
  }
  seen.push({ path: req.url ?? '', auth: req.headers.authorization });
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const number = /^\/orders\/(\d+)$/.exec(req.url ?? '')?.[1];
  if (number === '123456') return reply(200, { order: { status: 'shipped', items: [{ name: 'Trail runner' }] } });
  if (number === '404404') return reply(404, { error: 'no such order' });
  if (number === '500500') return reply(500, { error: 'boom' });
  if (number === '777777') return void held.push(() => reply(200, { order: { status: 'packed' } }));
  // 999999: never answered (the request's timeout_ms is short).
}

const FLOW = (port: number) => `
id: orders
start: menu
triggers:
  - keyword: [order]
    goto: ask_number
  - keyword: [lead]
    goto: ask_email
nodes:
  menu:
    say:
      - text: "Type ORDER to check an order."
    end: true
  ask_number:
    ask:
      text: "What's your order number?"
      capture: regex
      pattern: "^\\\\d{6}$"
      into: order_number
      invalid: "Six digits, please."
      on_fail: menu
      next: lookup
  lookup:
    request:
      url: "http://127.0.0.1:${port}/orders/{{order_number}}"
      headers:
        Authorization: "Bearer {{secret.TALKSHOP_TEST_SHOP_TOKEN}}"
      timeout_ms: 1500
      save:
        order_status: order.status
      ok: found
      not_found: not_found
      failed: shop_down
      timeout: too_slow
  found:
    say:
      - text: "Order {{order_number}} is {{order_status}}."
    end: true
  not_found:
    say:
      - text: "No order {{order_number}}."
    end: true
  shop_down:
    say:
      - text: "The shop is not answering."
    end: true
  ask_email:
    ask:
      text: "Your email?"
      capture: email
      into: email
      on_fail: menu
      next: thanks
  thanks:
    actions:
      - webhook:
          url: "http://127.0.0.1:${port}/crm/leads"
          body: { email: "{{email}}", source: "messenger" }
    say:
      - text: "Thanks, we'll be in touch."
    end: true
  too_slow:
    say:
      - text: "The shop is too slow right now."
    end: true
`;

const SETTINGS = loopbackSettings({ secrets: ['TALKSHOP_TEST_SHOP_TOKEN'], signingSecret: 'TALKSHOP_TEST_WEBHOOK_KEY' });
const WEBHOOK_KEY = 'webhook-signing-key-0123456789';
/** Leads the "CRM" received: raw body and Talkshop's headers (retries: tests/requests/webhookPump.test.ts). */
const leads: Array<{ body: string; headers: IncomingMessage['headers'] }> = [];

beforeAll(async () => {
  process.env.TALKSHOP_TEST_SHOP_TOKEN = TOKEN_VALUE;
  process.env.TALKSHOP_TEST_WEBHOOK_KEY = WEBHOOK_KEY;
  shop = createServer(answer);
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopPort = (shop.address() as AddressInfo).port;
  dir = flowsDir('talkshop-requests-', { 'orders.yaml': FLOW(shopPort), 'settings.yaml': SETTINGS });
  fake = await startFakeGraphApi({ appSecret: TEST_SECRET, accessToken: 'test-access-token', pageId: TEST_PAGE });
  const config = testConfig({
    GRAPH_API_URL: fake.url,
    FLOWS_DIR: dir,
    USER_PROFILE_LOOKUP: 'false',
    ADMIN_TOKEN: ADMIN_TOKEN,
    ADMIN_PORT: '0',
  });
  prefix = config.REDIS_KEY_PREFIX;
  // Every log line, at debug, to scan for the secret.
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  service = await startService(config, { logger });
});
afterAll(async () => {
  for (const release of held.splice(0)) release();
  await service?.stop();
  shop.closeAllConnections();
  await new Promise<void>((resolve) => shop.close(() => resolve()));
  await fake.stop();
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
  delete process.env.TALKSHOP_TEST_SHOP_TOKEN;
  delete process.env.TALKSHOP_TEST_WEBHOOK_KEY;
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, Date.now(), `m_req_${++mids}`));
const texts = (psid: string): string[] => sentTexts(fake, psid);
const saidLast = (psid: string, text: string) => lastSaidIs(fake, psid, text);

async function askNumber(psid: string, number: string): Promise<void> {
  expect((await say(psid, 'order')).status).toBe(200);
  await waitFor('the question', saidLast(psid, "What's your order number?"));
  expect((await say(psid, number)).status).toBe(200);
}

it.each([
  ['123456', 'Order 123456 is shipped.'],
  ['404404', 'No order 404404.'],
  ['500500', 'The shop is not answering.'],
  ['999999', 'The shop is too slow right now.'],
])('order %s → "%s", the secret sent to the shop and nowhere else', async (number, expected) => {
  const psid = `req-${number}`;
  await askNumber(psid, number);
  await waitFor(expected, saidLast(psid, expected));
  const call = seen.find((s) => s.path === `/orders/${number}`);
  expect(call?.auth).toBe(`Bearer ${TOKEN_VALUE}`);
  // The customer saw typing while the request was out.
  const actions = fake.calls.filter((c) => c.recipientId === psid && c.endpoint === 'sender_action');
  expect(actions.map((c) => (c.body as { sender_action?: string }).sender_action)).toContain('typing_on');
  // The secret's value is in no call to Meta.
  expect(JSON.stringify(fake.calls)).not.toContain(TOKEN_VALUE);
});

it('a customer who writes while the request is out is told to wait once, then gets the answer', async () => {
  const psid = 'req-waiting';
  await askNumber(psid, '777777');
  await waitFor('the shop has the request', () => (held.length === 1 ? true : undefined));
  // While it is out, the outbox holds the request with the placeholder, never the value.
  const dump = await storeDump(prefix);
  expect(dump).toContain('{{secret.TALKSHOP_TEST_SHOP_TOKEN}}');
  expect(dump).not.toContain(TOKEN_VALUE);
  expect((await say(psid, 'hello?')).status).toBe(200);
  await waitFor('asked to wait', saidLast(psid, 'One moment, I am checking…'));
  expect((await say(psid, 'still there?')).status).toBe(200);
  held.shift()?.();
  await waitFor('the answer', saidLast(psid, 'Order 777777 is packed.'));
  expect(texts(psid).filter((t) => t === 'One moment, I am checking…')).toHaveLength(1);
});

it('a captured lead goes to the CRM once, as a signed webhook, the conversation not waiting for it', async () => {
  const psid = 'req-lead';
  expect((await say(psid, 'lead')).status).toBe(200);
  await waitFor('the question', saidLast(psid, 'Your email?'));
  expect((await say(psid, 'ana@example.com')).status).toBe(200);
  await waitFor('the thanks', saidLast(psid, "Thanks, we'll be in touch."));
  await waitFor('the lead at the CRM', () => (leads.length >= 1 ? true : undefined));
  const last = leads[0]!;
  expect(JSON.parse(last.body)).toEqual({ email: 'ana@example.com', source: 'messenger' });
  const header = (name: string) => String(last.headers[name]);
  expect(
    verifyWebhook(
      WEBHOOK_KEY,
      header(WEBHOOK_HEADERS.signature),
      header(WEBHOOK_HEADERS.timestamp),
      last.body,
      Date.now() / 1000,
    ),
  ).toBe(true);
  expect(header(WEBHOOK_HEADERS.delivery)).toMatch(/\S/);
});

it('the secret header value is in no log line, no key of the store (states, transcripts, outbox, inbox) and no /admin answer', async () => {
  const psid = 'req-secret-scan';
  await askNumber(psid, '123456');
  await waitFor('the answer', saidLast(psid, 'Order 123456 is shipped.'));
  expect(seen.some((s) => s.auth === `Bearer ${TOKEN_VALUE}`)).toBe(true); // it was sent, to the shop only
  const dump = await storeDump(prefix);
  expect(dump).toContain('shipped'); // the user's state is in the dump
  expect(dump).not.toContain(TOKEN_VALUE);
  expect(logLines.length).toBeGreaterThan(0);
  expect(logLines.join('\n')).not.toContain(TOKEN_VALUE);
  const res = await fetch(`http://127.0.0.1:${service.adminPort}/admin/users/${psid}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  const record = await res.text();
  expect(record).toContain('shipped');
  expect(record).not.toContain(TOKEN_VALUE);
});
