import { FAKE_ERRORS, startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { createGraphClient, graphCallKind, type ClosableGraphClient } from '../../src/messenger/graphClient';
import { GraphApiError } from '../../src/messenger/graphErrors';
import { createMetrics, type Metrics } from '../../src/metrics';

/**
 * talkshop_graph_calls_total: the client counts every request it sends, by kind, whatever the
 * answer (an error or a timeout still used the Page's quota), and nothing it refused to send.
 * Through the real client to the fake Graph API over HTTP.
 */

const SECRET = 'calls-test-secret';
const TOKEN = 'EAAcalls-test-token';
const PAGE = 'page-calls-1';

let fake: FakeGraphApi;
let client: ClosableGraphClient;
let metrics: Metrics;

beforeAll(async () => {
  fake = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE, adAccountIds: ['555'] });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  metrics = createMetrics();
  client = createGraphClient({
    baseUrl: fake.url,
    version: 'v26.0',
    pageId: PAGE,
    accessToken: TOKEN,
    appSecret: SECRET,
    timeoutMs: 5_000,
    metrics,
  });
});
afterEach(() => client.close());

/** The counter's value per `call` label (labels never counted are absent). */
async function counted(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.graphCalls.get()).values) out[String(v.labels.call)] = v.value;
  return out;
}

const hello = (psid: string) => ({ recipient: { id: psid }, messaging_type: 'RESPONSE' as const, message: { text: 'hello' } });

describe('talkshop_graph_calls_total', () => {
  it('counts each request by kind, as the fake received them', async () => {
    await client.senderAction('u1', 'mark_seen');
    await client.senderAction('u1', 'typing_on');
    await client.sendMessage(hello('u1'));
    await client.sendMessage(hello('u2'));
    await client.userProfile('u1', ['first_name']);
    await client.threadOwner('u1');
    await client.passThreadControl('u1', '263902037430900');
    await client.getMessengerProfile(['greeting']);
    await client.createMessageCampaign('555', { name: 'spring' });
    expect(await counted()).toEqual({
      sender_action: 2,
      message: 2,
      profile: 1,
      thread_owner: 1,
      thread_control: 1,
      messenger_profile: 1,
      marketing: 1,
    });
    expect(fake.calls).toHaveLength(9);
    expect(fake.calls.filter((c) => c.endpoint === 'sender_action')).toHaveLength(2);
  });

  it('counts a request that failed (an error answer, a 613) and not one it refused to send', async () => {
    fake.fail.nextRequests(1, FAKE_ERRORS.rateLimit);
    await expect(client.sendMessage(hello('u3'))).rejects.toBeInstanceOf(GraphApiError);
    fake.fail.recipient('u4', FAKE_ERRORS.unavailable);
    await expect(client.senderAction('u4', 'typing_on')).rejects.toBeInstanceOf(GraphApiError);
    // Invalid (no text, no attachment): refused by the client's own validation, never sent.
    await expect(
      client.sendMessage({ recipient: { id: 'u5' }, messaging_type: 'RESPONSE', message: {} } as never),
    ).rejects.toThrow();
    expect(await counted()).toEqual({ message: 1, sender_action: 1 });
    expect(fake.calls).toHaveLength(2);
  });

  it('is exported on the registry', async () => {
    await client.sendMessage(hello('u6'));
    expect(await metrics.registry.metrics()).toContain('talkshop_graph_calls_total{call="message"} 1');
  });
});

describe('graphCallKind', () => {
  it.each([
    ['POST', '/me/messages', 'message', { recipient: { id: 'u' }, message: { text: 'x' } }],
    ['POST', '/me/messages', 'sender_action', { recipient: { id: 'u' }, sender_action: 'mark_seen' }],
    ['GET', '/12345', 'profile', undefined],
    ['POST', '/me/take_thread_control', 'thread_control', {}],
    ['GET', '/me/thread_owner', 'thread_owner', undefined],
    ['DELETE', '/me/messenger_profile', 'messenger_profile', {}],
    ['POST', '/act_555/messages', 'marketing', {}],
    ['POST', '/act_555/message_campaign', 'marketing', {}],
    ['GET', '/page-1/notification_message_tokens', 'marketing', undefined],
    ['POST', '/me/unknown_edge', 'other', {}],
  ])('%s %s is %s', (method, path, kind, body) => {
    expect(graphCallKind(method, path, body)).toBe(kind);
  });
});
