/**
 * The demo page's Page Inbox actions through its route (src/cli/demoWeb.ts), in-process against a
 * real HTTP server standing in for the webhook: a reply goes out as the Page Inbox's echo on
 * standby while the Inbox owns the thread (as the thread owner says) and is shown to the customer
 * on the stream; Done makes the bot's app the owner before Meta's pass_thread_control is posted on
 * messaging; every accepted event, and every Graph API call for a customer, nudges the page to
 * re-read that customer's state.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDemoWeb, type DemoWeb } from '../../src/cli/demoWeb';
import type { DemoStreamEvent } from '../../src/cli/demoWebStream';
import type { FakeCall } from '../../src/emulator/fakeGraphApi';
import { PAGE_INBOX_APP_ID } from '../../src/platform/messagingRules';
import { openSse, type SseClient } from '../support/sseClient';
import { post, waitFor } from '../support/webhookClient';

let webhook: Server;
let server: Server;
let web: DemoWeb;
let port: number;
let stream: SseClient;
const received: unknown[] = [];
const owners = new Map<string, string | null>();
let emitCall: (call: FakeCall) => void = () => undefined;

const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));
const events = () => stream.frames.map((f) => JSON.parse(f.data) as DemoStreamEvent);
const act = (action: Record<string, unknown>) =>
  post(port, '/demo/api/events', JSON.stringify(action), { 'content-type': 'application/json' });

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('EVENT_RECEIVED');
    });
  });
  const webhookPort = await listen(webhook);
  web = startDemoWeb({
    appSecret: 'demo-secret',
    pageId: 'demo-page',
    now: () => 1_790_000_000_000,
    onCall: (listener) => {
      emitCall = listener;
      return () => undefined;
    },
    threads: {
      appId: 'demo-app',
      ownerOf: (psid) => (owners.has(psid) ? (owners.get(psid) ?? null) : 'demo-app'),
      setOwner: (psid, appId) => owners.set(psid, appId),
    },
  });
  server = createServer((req, res) => {
    if (!web.route(req, res)) res.writeHead(404).end();
  });
  port = await listen(server);
  web.attach(`http://127.0.0.1:${webhookPort}/webhooks/messenger`);
  stream = await openSse(port, '/demo/api/stream');
});
afterAll(async () => {
  stream.close();
  web.stop();
  await close(server);
  await close(webhook);
});
beforeEach(() => (received.length = 0));

it("a Page Inbox reply is the Inbox's echo on standby while it owns the thread, shown to the customer with a state nudge", async () => {
  owners.set('c-1', PAGE_INBOX_APP_ID);
  expect((await act({ customer: 'c-1', type: 'inbox_reply', text: 'Hi, Alex here' })).status).toBe(202);
  expect(received).toMatchObject([
    {
      entry: [
        {
          standby: [
            {
              sender: { id: 'demo-page' },
              recipient: { id: 'c-1' },
              message: { is_echo: true, app_id: Number(PAGE_INBOX_APP_ID), text: 'Hi, Alex here' },
            },
          ],
        },
      ],
    },
  ]);
  const shown = await waitFor('the reply and a nudge on the stream', () => {
    const mine = events().filter((e) => e.customer === 'c-1');
    return mine.length >= 2 ? mine : undefined;
  });
  expect(shown).toMatchObject([
    { kind: 'message', from: 'page_inbox', message: { text: 'Hi, Alex here' } },
    { kind: 'state', customer: 'c-1' },
  ]);
});

it("Done makes the bot's app the owner, then posts Meta's pass_thread_control on messaging", async () => {
  owners.set('c-2', PAGE_INBOX_APP_ID);
  expect((await act({ customer: 'c-2', type: 'inbox_done' })).status).toBe(202);
  expect(owners.get('c-2')).toBe('demo-app');
  expect(received).toMatchObject([
    {
      entry: [
        {
          messaging: [
            {
              sender: { id: 'c-2' },
              pass_thread_control: { new_owner_app_id: 'demo-app', previous_owner_app_id: PAGE_INBOX_APP_ID },
            },
          ],
        },
      ],
    },
  ]);
  // While the bot owns the thread, a person's reply in the Inbox comes on messaging.
  received.length = 0;
  await act({ customer: 'c-2', type: 'inbox_reply', text: 'one more thing' });
  expect(received).toMatchObject([{ entry: [{ messaging: [{ message: { is_echo: true } }] }] }]);
  // So it does while the thread is idle (released: the primary receiver gets the events).
  owners.set('c-2', null);
  received.length = 0;
  await act({ customer: 'c-2', type: 'inbox_reply', text: 'and another' });
  expect(received).toMatchObject([{ entry: [{ messaging: [{ message: { is_echo: true } }] }] }]);
});

it('a Graph API call for a customer nudges the page; a bot message carries its mid for a reaction', async () => {
  const call: FakeCall = {
    method: 'POST',
    path: '/v26.0/me/messages',
    endpoint: 'messages',
    query: {},
    tokenIn: 'header',
    body: { recipient: { id: 'c-3' }, messaging_type: 'RESPONSE', message: { text: 'Hello' } },
    recipientId: 'c-3',
    at: 5,
    status: 200,
    response: { recipient_id: 'c-3', message_id: 'm_fake_1_1' },
  };
  emitCall(call);
  emitCall({ ...call, endpoint: 'thread_control', body: {}, response: { success: true } });
  emitCall({ ...call, status: 400 }); // refused: nothing changed
  const mine = await waitFor('three events for c-3', () => {
    const e = events().filter((x) => x.customer === 'c-3');
    return e.length >= 3 ? e : undefined;
  });
  expect(mine).toEqual([
    { kind: 'message', customer: 'c-3', at: 5, message: { text: 'Hello' }, mid: 'm_fake_1_1' },
    { kind: 'state', customer: 'c-3', at: 5 },
    { kind: 'state', customer: 'c-3', at: 5 },
  ]);
  const reaction = await act({ customer: 'c-3', type: 'reaction', mid: 'm_fake_1_1', reaction: 'love', action: 'react' });
  expect(reaction.status).toBe(202);
  expect(received).toMatchObject([{ entry: [{ messaging: [{ reaction: { mid: 'm_fake_1_1', reaction: 'love' } }] }] }]);
});
