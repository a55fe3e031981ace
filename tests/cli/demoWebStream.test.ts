/**
 * The demo page's server-sent events (src/cli/demoWebStream.ts): which fake Graph API calls the
 * page is shown, and the hub itself on a real HTTP server: events reach every open page, the
 * heartbeat keeps a quiet stream alive, a reconnecting page gets what it missed, and streams past
 * the cap are refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDemoStream,
  streamEventOf,
  type DemoBotEvent,
  type DemoStream,
  type DemoStreamEvent,
} from '../../src/cli/demoWebStream';
import { startFakeGraphApi, type FakeCall } from '../../src/emulator/fakeGraphApi';
import { createGraphClient } from '../../src/messenger/graphClient';
import { openSse, type SseClient } from '../support/sseClient';
import { waitFor } from '../support/webhookClient';

const call = (over: Partial<FakeCall>): FakeCall => ({
  method: 'POST',
  path: '/v26.0/me/messages',
  endpoint: 'messages',
  query: {},
  tokenIn: 'header',
  body: undefined,
  recipientId: 'c-1',
  at: 1000,
  status: 200,
  response: {},
  ...over,
});

describe('streamEventOf', () => {
  it('a message the fake accepted is shown, with its customer and time', () => {
    const message = { text: 'Hi!', quick_replies: [{ content_type: 'text', title: 'Yes', payload: 'Y' }] };
    expect(streamEventOf(call({ body: { recipient: { id: 'c-1' }, messaging_type: 'RESPONSE', message } }))).toEqual({
      kind: 'message',
      customer: 'c-1',
      at: 1000,
      message,
    });
  });

  it.each(['typing_on', 'typing_off', 'mark_seen'] as const)('the sender action %s is shown', (action) =>
    expect(streamEventOf(call({ endpoint: 'sender_action', body: { recipient: { id: 'c-1' }, sender_action: action } }))).toEqual(
      {
        kind: 'action',
        customer: 'c-1',
        at: 1000,
        action,
      },
    ),
  );

  it('a refused call, another endpoint or a message that is not one is not shown', () => {
    const body = { recipient: { id: 'c-1' }, messaging_type: 'RESPONSE', message: { text: 'Hi!' } };
    expect(streamEventOf(call({ body, status: 400 }))).toBeUndefined();
    expect(streamEventOf(call({ body, endpoint: 'thread_control' }))).toBeUndefined();
    expect(streamEventOf(call({ body, recipientId: undefined }))).toBeUndefined();
    expect(streamEventOf(call({ body: { ...body, message: { text: '' } } }))).toBeUndefined();
    expect(
      streamEventOf(call({ endpoint: 'sender_action', body: { recipient: { id: 'c-1' }, sender_action: 'dance' } })),
    ).toBeUndefined();
  });
});

it("the real Graph client's sends and sender actions, as the fake records them, become the page's events", async () => {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  const graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const seen: DemoBotEvent[] = [];
  fake.onCall((c) => {
    const e = streamEventOf(c);
    if (e) seen.push(e);
  });
  try {
    await graph.senderAction('c-9', 'mark_seen');
    await graph.senderAction('c-9', 'typing_on');
    await graph.sendMessage({ recipient: { id: 'c-9' }, messaging_type: 'RESPONSE', message: { text: 'Hello' } });
    await graph.senderAction('c-9', 'typing_off');
    expect(seen.map((e) => (e.kind === 'action' ? e.action : e.message))).toEqual([
      'mark_seen',
      'typing_on',
      { text: 'Hello' },
      'typing_off',
    ]);
    expect(seen.every((e) => e.customer === 'c-9')).toBe(true);
  } finally {
    graph.close();
    await fake.stop();
  }
});

describe('createDemoStream', () => {
  let server: Server;
  let stream: DemoStream;
  let port: number;
  const open: SseClient[] = [];
  const event = (text: string): DemoStreamEvent => ({ kind: 'message', customer: 'c-1', at: 1, message: { text } });
  const connect = async (headers: Record<string, string> = {}) => {
    const client = await openSse(port, '/stream', headers);
    open.push(client);
    return client;
  };

  beforeEach(async () => {
    stream = createDemoStream({ maxStreams: 2, heartbeatMs: 20, replay: 3 });
    server = createServer((req, res) => stream.open(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    stream.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends each event to every open page, as a "bot" event with an id', async () => {
    const [a, b] = [await connect(), await connect()];
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitFor('both streams open', () => (stream.openStreams === 2 ? true : undefined));
    stream.publish(event('one'));
    stream.publish(event('two'));
    for (const c of [a, b]) {
      await waitFor('two frames', () => (c.frames.length === 2 ? true : undefined));
      expect(c.frames.map((f) => [f.id, f.event, (JSON.parse(f.data) as { message: { text: string } }).message.text])).toEqual([
        ['1', 'bot', 'one'],
        ['2', 'bot', 'two'],
      ]);
    }
  });

  it('writes a heartbeat comment on a quiet stream', async () => {
    const c = await connect();
    await waitFor('a heartbeat', () => (c.comments.includes('heartbeat') ? true : undefined));
  });

  it('a page reconnecting with Last-Event-ID gets the events it missed that the buffer still holds', async () => {
    for (const t of ['1', '2', '3', '4', '5']) stream.publish(event(t));
    const c = await connect({ 'last-event-id': '3' });
    await waitFor('the missed frames', () => (c.frames.length === 2 ? true : undefined));
    expect(c.frames.map((f) => f.id)).toEqual(['4', '5']);
    const fresh = await connect(); // a new page starts with what comes next
    stream.publish(event('6'));
    await waitFor('the next frame', () => (fresh.frames.length === 1 ? true : undefined));
    expect(fresh.frames[0]!.id).toBe('6');
  });

  it('refuses a stream past the cap with 503, and takes one again once a page closes', async () => {
    const first = await connect();
    await connect();
    const third = await connect();
    expect(third.status).toBe(503);
    await waitFor('the refusal', () => (third.body().includes('at most 2 demo pages') ? true : undefined));
    first.close();
    await waitFor('the closed stream to be dropped', () => (stream.openStreams === 1 ? true : undefined));
    expect((await connect()).status).toBe(200);
  });
});
