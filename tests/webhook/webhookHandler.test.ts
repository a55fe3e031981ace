import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Handler } from '../../src/runtime/handler';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { textMessageBody } from '../../src/cli/sendEvent';
import { parseWebhook } from '../../src/webhook/parseWebhook';
import { signBody } from '../../src/webhook/verifySignature';
import { recordingHandler } from '../support/recordingHandler';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, TEST_SECRET, testConfig } from '../support/testEnv';
import { get, keepAlive, post, postSigned, waitFor } from '../support/webhookClient';

const PARTITIONS = 16;
const config = testConfig({ INBOX_PARTITIONS: String(PARTITIONS) });
const { handler, seen } = recordingHandler();
let service: RunningService;

beforeAll(async () => {
  service = await startService(config, { handler: handler as Handler<unknown> });
});
afterAll(async () => {
  await service.stop();
  await deletePrefix(config.REDIS_KEY_PREFIX);
});
beforeEach(() => {
  seen.length = 0;
});

const stateOf = (userId: string) =>
  service.store.states.load(partitionOf(TEST_PAGE, userId, PARTITIONS), userKeyOf(TEST_PAGE, userId));
/** Waits for n applied items and an empty inbox, so stragglers cannot hide. */
const settled = async (n: number) => {
  const all = Array.from({ length: PARTITIONS }, (_, p) => p);
  await waitFor(`${n} applied item(s)`, () => (seen.length >= n ? true : undefined));
  await waitFor('an empty inbox', async () =>
    (await service.store.inbox.pendingCounts(all)).every((c) => c === 0) ? true : undefined,
  );
  return seen.slice();
};
let mids = 0;
const message = (userId: string, text = 'hi') => textMessageBody(TEST_PAGE, userId, text, Date.now(), `m_test_${++mids}`);

describe('GET verification', () => {
  it('echoes hub.challenge for subscribe with the right token', async () => {
    const r = await get(
      service.port,
      '/webhooks/messenger?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444',
    );
    expect(r).toEqual({ status: 200, body: '1158201444' });
  });

  it.each([
    ['hub.mode=subscribe&hub.verify_token=meatyhamhock&hub.challenge=1'],
    ['hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1'],
    ['hub.challenge=1'],
  ])('answers 403 for %s', async (query) => {
    expect((await get(service.port, `/webhooks/messenger?${query}`)).status).toBe(403);
  });
});

describe('POST rejections change nothing', () => {
  const body = message('rejected-user');
  const hex = signBody(body, TEST_SECRET).slice('sha256='.length);
  it.each([
    ['missing signature', {}],
    ['wrong prefix', { 'x-hub-signature-256': `sha1=${hex}` }],
    ['wrong length', { 'x-hub-signature-256': `sha256=${hex.slice(2)}` }],
    ['non-hex', { 'x-hub-signature-256': `sha256=${'g'.repeat(64)}` }],
    ['wrong secret', { 'x-hub-signature-256': signBody(body, 'not-the-secret') }],
  ])('%s → 403', async (_case, headers: Record<string, string>) => {
    expect((await post(service.port, '/webhooks/messenger', body, headers)).status).toBe(403);
  });

  it('oversize → 413, malformed JSON → 400, PUT → 405', async () => {
    const big = JSON.stringify({ object: 'page', entry: [], pad: 'x'.repeat(1024 * 1024) });
    expect((await postSigned(service.port, big)).status).toBe(413);
    expect((await postSigned(service.port, '{"object":"page",')).status).toBe(400);
    expect((await postSigned(service.port, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).status).toBe(400);
    const put = await fetch(`http://127.0.0.1:${service.port}/webhooks/messenger`, { method: 'PUT', body });
    expect(put.status).toBe(405);
  });

  it("none of the rejected bodies reached the inbox: a later valid event is the user's first", async () => {
    expect((await postSigned(service.port, message('rejected-user', 'sentinel'))).status).toBe(200);
    const items = await settled(1);
    expect(items.map((i) => i.record.event.userId)).toEqual(['rejected-user']);
    expect(await stateOf('rejected-user')).toMatchObject({ version: 1, data: { inbound: 1 } });
  });
});

describe('conformance corpus', () => {
  // Third-party payloads (sources in SOURCES.md there) and the hand-written ones, all in the repo.
  const local = join(__dirname, '..', 'fixtures', 'webhooks');
  /** Hand-written expectations: [channel, kind] of every routable event, in order. */
  const expected: Record<string, string[]> = {
    'botbuilder-dotnet__Payload.json': ['messaging:message'],
    'botbuilder-dotnet__PayloadWithPassThreadControl.json': ['messaging:pass_thread_control'],
    'botbuilder-dotnet__PayloadWithPostBack.json': ['messaging:postback'],
    'botbuilder-dotnet__PayloadWithReferral.json': ['messaging:referral'],
    'botbuilder-dotnet__PayloadWithRequestThreadControl.json': ['messaging:request_thread_control'],
    'botbuilder-dotnet__PayloadWithStandby.json': ['messaging:message'],
    'botbuilder-dotnet__PayloadWithTakeThreadControl.json': ['messaging:take_thread_control'],
    'fbmessenger-api-hs__wsAuthRequest.json': ['messaging:optin'],
    'fbmessenger-api-hs__wsDeliveryRequest.json': ['messaging:delivery'],
    'fbmessenger-api-hs__wsPostbackRequest.json': ['messaging:postback'],
    'fbmessenger-api-hs__wsStructuredMessageRequest.json': ['messaging:message'],
    'fbmessenger-api-hs__wsTextMessageRequest.json': ['messaging:message'],
    'jovo-framework__MultipleEventRequest.json': ['messaging:postback', 'messaging:postback'],
    'kerox-messenger__message.json': ['messaging:quick_reply'],
    'kerox-messenger__stand_by.json': ['standby:quick_reply'],
    'nsomar-facebook_messenger__pass_thread_control.json': ['messaging:pass_thread_control'],
    'echo-read-reaction.json': ['messaging:echo', 'messaging:read', 'messaging:reaction', 'standby:echo', 'standby:message'],
    'optin-notification.json': ['messaging:optin', 'messaging:optin'],
    'feed-comments.json': ['messaging:comment', 'messaging:comment'],
  };
  const files = readdirSync(local)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(local, f));

  it('has an expectation for every corpus file', () => {
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(Object.keys(expected).sort());
  });

  /**
   * Each sample is for its own Page and from its own time, so each gets a service configured with
   * that Page id and a clock running from the sample's latest event: the parser then proves what
   * it routes, and the Page and age checks let exactly those events through.
   */
  it.each(files.map((f) => [f.split('/').pop() as string, f]))('%s → 200, every event routed by kind', async (name, file) => {
    const raw = readFileSync(file);
    const body = JSON.parse(raw.toString()) as { entry: Array<{ id: string | number }> };
    const pageId = String(body.entry[0]?.id);
    const unfiltered = parseWebhook(body, 0);
    if (unfiltered.type !== 'ok') throw new Error(`${name} does not parse: ${JSON.stringify(unfiltered)}`);
    const sampleTime = Math.max(...unfiltered.events.map((e) => e.timestamp));
    const offset = sampleTime - Date.now();
    const own = recordingHandler();
    const svc = await startService(testConfig({ REDIS_URL: undefined, MESSENGER_PAGE_ID: pageId }), {
      handler: own.handler as Handler<unknown>,
      now: () => Date.now() + offset,
    });
    try {
      const r = await postSigned(svc.port, raw);
      expect(r).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
      const want = expected[name] ?? [];
      await waitFor(`${want.length} applied item(s)`, () => (own.seen.length >= want.length ? true : undefined));
      expect(own.seen.map((i) => `${i.record.event.channel}:${i.record.event.kind}`).sort()).toEqual([...want].sort());
      expect(own.seen.every((i) => i.record.event.pageId === pageId)).toBe(true);
    } finally {
      await svc.stop();
    }
  });
});

/** Current value of talkshop_webhook_events_ignored_total for one reason (0 before the first). */
async function ignoredCount(reason: string): Promise<number> {
  const text = (await get(service.port, '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`talkshop_webhook_events_ignored_total{reason="${reason}"}`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
const allPartitions = Array.from({ length: PARTITIONS }, (_, p) => p);
const pendingTotal = async () => (await service.store.inbox.pendingCounts(allPartitions)).reduce((a, b) => a + b, 0);

describe('events are believed only as far as they prove', () => {
  const DEDUPE_TTL_MS = config.DEDUPE_TTL_SECONDS * 1000;
  const cases: Array<[string, string, () => string]> = [
    [
      'an event for another Page (an app subscribed to several)',
      'other_page',
      () => textMessageBody('another-page', 'other-page-user', 'hi', Date.now(), `m_other_${++mids}`),
    ],
    [
      'a signed event replayed after the dedupe window',
      'too_old',
      () => textMessageBody(TEST_PAGE, 'replayed-user', 'hi', Date.now() - DEDUPE_TTL_MS - 60_000, `m_replay_${++mids}`),
    ],
    [
      'a body whose object is not "page" (e.g. instagram)',
      'not_page',
      () => JSON.stringify({ object: 'instagram', entry: JSON.parse(message('ig-user')).entry }),
    ],
  ];
  it.each(cases)('%s → 200, ignored and counted, nothing stored', async (_what, reason, body) => {
    const before = await ignoredCount(reason);
    expect(await postSigned(service.port, body())).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
    expect(await ignoredCount(reason)).toBe(before + 1);
    // A later event of this Page is the next thing applied: nothing of the ignored body was stored.
    expect((await postSigned(service.port, message('sentinel-user', 'sentinel'))).status).toBe(200);
    const items = await settled(1);
    expect(items.map((i) => i.record.event.userId)).toEqual(['sentinel-user']);
  });

  it('a timestamp in seconds is read as seconds: a current one is stored, with its time in ms', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: TEST_PAGE,
          time: seconds,
          messaging: [{ sender: { id: 'secs-user' }, timestamp: seconds, message: { mid: `m_secs_${++mids}`, text: 'hi' } }],
        },
      ],
    });
    expect((await postSigned(service.port, body)).status).toBe(200);
    const items = await settled(1);
    expect(items.map((i) => [i.record.event.userId, i.record.event.timestamp])).toEqual([['secs-user', seconds * 1000]]);
  });

  it(`a signed body with 10,000 events → 413, nothing stored (the cap is ${config.WEBHOOK_MAX_EVENTS})`, async () => {
    const now = Date.now();
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      sender: { id: `b${i % 50}` },
      timestamp: now,
      message: { mid: `m_b${++mids}`, text: 'x' },
    }));
    const body = JSON.stringify({ object: 'page', entry: [{ id: TEST_PAGE, time: now, messaging: events }] });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(config.WEBHOOK_BODY_LIMIT_BYTES);
    const r = await postSigned(service.port, body);
    expect(r.status).toBe(413);
    expect(r.body).toContain('10000 events');
    expect(await pendingTotal()).toBe(0);
    expect((await postSigned(service.port, message('after-batch', 'sentinel'))).status).toBe(200);
    const items = await settled(1);
    expect(items.map((i) => i.record.event.userId)).toEqual(['after-batch']);
  });
});

describe('applied once, in order', () => {
  it('applies the same payload delivered 5 times once', async () => {
    const body = message('redelivered');
    for (let i = 0; i < 5; i++) expect((await postSigned(service.port, body)).status).toBe(200);
    await postSigned(service.port, message('redelivered', 'sentinel'));
    expect(await settled(2)).toHaveLength(2);
    expect(await stateOf('redelivered')).toMatchObject({ version: 2, data: { inbound: 2 } });
  });

  it('applies 500 concurrent events for one user (50 connections) all, in ingress order, with no lost update', async () => {
    const agent = keepAlive(50);
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => postSigned(service.port, message('burst', `n${i}`), agent)),
    );
    agent.destroy();
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const items = await settled(500);
    expect(items).toHaveLength(500);
    const ids = items.map((i) => i.id);
    const inIngressOrder = ids.every((id, i) => i === 0 || streamAfter(id, ids[i - 1] as string));
    expect(inIngressOrder).toBe(true);
    expect(new Set(items.map((i) => i.record.event.dedupeKey)).size).toBe(500);
    expect(await stateOf('burst')).toMatchObject({ version: 500, data: { inbound: 500 } });
  });
});

function streamAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am > bm : as > bs;
}
