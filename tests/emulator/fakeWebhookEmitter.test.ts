import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import { parseWebhook } from '../../src/webhook/parseWebhook';
import { verifySignature } from '../../src/webhook/verifySignature';
import { waitFor } from '../support/webhookClient';

/**
 * The webhooks the fake Graph API posts back: each is signed so the service's own check accepts
 * it, and reads as the service's parser expects (delivery, read, Marketing Messages opt-in);
 * autoDeliver follows every accepted message with its delivery and read.
 */

const SECRET = 'hook-test-secret';
const TOKEN = 'EAAhook-test-token';
const PAGE = '4440001';
const PROOF = createHmac('sha256', SECRET).update(TOKEN).digest('hex');

interface Received {
  readonly raw: Buffer;
  readonly signature: string | string[] | undefined;
  readonly path: string;
}

let fake: FakeGraphApi;
let receiver: http.Server;
let receiverUrl: string;
let received: Received[] = [];
let answerStatus = 200;
/** Answers wait this long, so posts overlap; the most open at once is recorded. */
let answerDelayMs = 0;
let open = 0;
let mostOpen = 0;

beforeAll(async () => {
  fake = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE, adAccountIds: ['777'] });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    open += 1;
    mostOpen = Math.max(mostOpen, open);
    req.on('end', () => {
      received.push({ raw: Buffer.concat(chunks), signature: req.headers['x-hub-signature-256'], path: req.url ?? '' });
      setTimeout(() => {
        open -= 1;
        res.writeHead(answerStatus);
        res.end('EVENT_RECEIVED');
      }, answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/messenger`;
});
afterAll(async () => {
  await fake.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(() => {
  fake.reset();
  fake.webhooks.configure({ url: receiverUrl });
  received = [];
  answerStatus = 200;
  answerDelayMs = 0;
  mostOpen = 0;
});

/** What the service does with a body: check the signature with its secret, then parse it for this Page. */
function serviceReads(r: Received, secret = SECRET): MessengerEvent[] {
  expect(r.path).toBe('/webhooks/messenger');
  expect(verifySignature(r.raw, r.signature, secret)).toBe(true);
  const outcome = parseWebhook(JSON.parse(r.raw.toString('utf8')), Date.now(), {
    pageId: PAGE,
    oldestMs: Date.now() - 3600_000,
    maxEvents: 100,
  });
  if (outcome.type !== 'ok') throw new Error(`not parsed: ${outcome.type}`);
  expect(outcome.ignored).toEqual([]);
  return outcome.events;
}

const sendText = (psid: string) =>
  fetch(`${fake.url}/v26.0/me/messages?access_token=${TOKEN}&appsecret_proof=${PROOF}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } }),
  });

describe('emitted webhooks', () => {
  it('a delivery is signed, verifies with the service check and parses as a delivery of those mids', async () => {
    const at = Date.now();
    expect(await fake.webhooks.delivered('psid-1', { mids: ['m_1', 'm_2'], watermark: at })).toBe(200);
    expect(received).toHaveLength(1);
    const [event] = serviceReads(received[0]!);
    expect(event).toMatchObject({ kind: 'delivery', channel: 'messaging', pageId: PAGE, userId: 'psid-1' });
    expect(event?.raw.delivery).toEqual({ mids: ['m_1', 'm_2'], watermark: at });
    expect(fake.webhooks.emitted).toEqual([{ kind: 'delivery', psid: 'psid-1', at: expect.any(Number), status: 200 }]);
  });

  it('a read parses as a read with its watermark', async () => {
    const at = Date.now();
    await fake.webhooks.read('psid-2', { watermark: at });
    const [event] = serviceReads(received[0]!);
    expect(event).toMatchObject({ kind: 'read', userId: 'psid-2' });
    expect(event?.raw.read).toEqual({ watermark: at });
  });

  it('signs with the configured secret: a service with another secret refuses it', async () => {
    fake.webhooks.configure({ url: receiverUrl, appSecret: 'other-secret' });
    await fake.webhooks.read('psid-2', { watermark: Date.now() });
    expect(verifySignature(received[0]!.raw, received[0]!.signature, SECRET)).toBe(false);
    expect(verifySignature(received[0]!.raw, received[0]!.signature, 'other-secret')).toBe(true);
  });

  it('a Marketing Messages opt-in reads as one with its token and expiry, and the fake knows the token (stopped, resumed)', async () => {
    const expiresAt = Date.now() + 90 * 24 * 3600_000;
    await fake.webhooks.optin('psid-3', { token: 'nmt-3', topic: 'offers', expiresAt });
    const [event] = serviceReads(received[0]!);
    expect(event?.kind).toBe('optin');
    expect(toEngineEvent(event!)).toMatchObject({
      type: 'optin',
      marketing: { status: 'optin', topic: 'offers', token: 'nmt-3', expiresAt: Math.floor(expiresAt / 1000) * 1000 },
    });
    expect(fake.marketing.tokens()).toEqual([expect.objectContaining({ token: 'nmt-3', psid: 'psid-3', topic: 'offers' })]);

    await fake.webhooks.optin('psid-3', { token: 'nmt-3', topic: 'offers', status: 'stop' });
    expect(toEngineEvent(serviceReads(received[1]!)[0]!)).toMatchObject({ marketing: { status: 'stop', topic: 'offers' } });
    expect(fake.marketing.tokens()[0]?.status).toBe('stopped');
    await fake.webhooks.optin('psid-3', { token: 'nmt-3', topic: 'offers', status: 'resume' });
    expect(toEngineEvent(serviceReads(received[2]!)[0]!)).toMatchObject({ marketing: { status: 'resume' } });
    expect(fake.marketing.tokens()[0]?.status).toBe('active');
  });

  it('returns the service’s status, 0 when it cannot be reached; refuses to post with no target', async () => {
    answerStatus = 403;
    expect(await fake.webhooks.read('p', { watermark: 1 })).toBe(403);
    fake.webhooks.configure({ url: 'http://127.0.0.1:9/webhooks/messenger' });
    expect(await fake.webhooks.read('p', { watermark: 1 })).toBe(0);
    fake.webhooks.unconfigure();
    await expect(fake.webhooks.read('p', { watermark: 1 })).rejects.toThrow(/configure/);
  });
});

it('keeps at most maxInFlight posts open at once, and posts them all', async () => {
  fake.webhooks.configure({ url: receiverUrl, maxInFlight: 2 });
  answerDelayMs = 20;
  const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => fake.webhooks.read(`p${i}`, { watermark: 1 })));
  expect(statuses).toEqual(Array(10).fill(200));
  expect(received).toHaveLength(10);
  expect(mostOpen).toBeLessThanOrEqual(2);
});

describe('autoDeliver', () => {
  it('every accepted message is followed by its delivery and then a read; failed sends and sender actions are not', async () => {
    fake.webhooks.configure({ url: receiverUrl, autoDeliver: { delayMs: 0, readDelayMs: 0 } });
    const res = await sendText('psid-4');
    const { message_id } = z.object({ message_id: z.string() }).parse(await res.json());
    fake.fail.recipient('psid-5', { code: 551, subcode: 1545041 });
    expect((await sendText('psid-5')).status).toBe(400);
    await fetch(`${fake.url}/v26.0/me/messages?access_token=${TOKEN}&appsecret_proof=${PROOF}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: { id: 'psid-4' }, sender_action: 'typing_on' }),
    });
    await waitFor('the delivery and read', () => (received.length >= 2 ? true : undefined));
    await fake.webhooks.idle();
    expect(fake.webhooks.pending).toBe(0);
    const events = received.flatMap((r) => serviceReads(r));
    expect(events.map((e) => [e.kind, e.userId])).toEqual([
      ['delivery', 'psid-4'],
      ['read', 'psid-4'],
    ]);
    expect(events[0]?.raw.delivery).toMatchObject({ mids: [message_id] });
  });

  it('marketing messages are delivered too', async () => {
    fake.webhooks.configure({ url: receiverUrl, autoDeliver: { delayMs: 0 } });
    fake.marketing.addToken({ token: 'nmt-6', psid: 'psid-6', topic: 'offers', expiresAt: Date.now() + 3600_000 });
    const q = `access_token=${TOKEN}&appsecret_proof=${PROOF}`;
    const post = (path: string, body: unknown) =>
      fetch(`${fake.url}${path}?${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { id } = z
      .object({ id: z.string() })
      .parse(await (await post('/v24.0/act_777/message_campaign', { name: 'c' })).json());
    const sent = await post('/v24.0/act_777/messages', {
      message_id: id,
      messenger_delivery_data: { subscription_token: 'nmt-6' },
      message: { text: 'Sale' },
    });
    const { message_id } = z.object({ message_id: z.string() }).parse(await sent.json());
    await waitFor('the delivery', () => (received.length >= 1 ? true : undefined));
    await fake.webhooks.idle();
    const [event] = serviceReads(received[0]!);
    expect(event).toMatchObject({ kind: 'delivery', userId: 'psid-6' });
    expect(event?.raw.delivery).toMatchObject({ mids: [message_id] });
    expect(received).toHaveLength(1);
  });

  it('reset drops scheduled deliveries', async () => {
    fake.webhooks.configure({ url: receiverUrl, autoDeliver: { delayMs: 60_000 } });
    await sendText('psid-7');
    expect(fake.webhooks.pending).toBe(1);
    fake.reset();
    expect(fake.webhooks.pending).toBe(0);
    await fake.webhooks.idle();
    expect(received).toHaveLength(0);
  });
});
