import { createHmac } from 'node:crypto';
import { z } from 'zod';
import {
  FAKE_ERRORS,
  HANDOVER_DISABLED_MESSAGE,
  startFakeGraphApi,
  type FakeCall,
  type FakeGraphApi,
} from '../../src/emulator/fakeGraphApi';

/**
 * The fake Graph API spoken to raw (fetch), as Meta would be: what it refuses, how it answers, what
 * it records. The client ↔ fake round trips are in tests/messenger/graphClient.test.ts.
 */

const SECRET = 'fake-test-secret';
const TOKEN = 'EAAfake-test-token';
const PAGE = '1234567890';
const PROOF = createHmac('sha256', SECRET).update(TOKEN).digest('hex');

let clock = 1_000_000;
let fake: FakeGraphApi;

beforeAll(async () => {
  fake = await startFakeGraphApi({
    appSecret: SECRET,
    accessToken: TOKEN,
    pageId: PAGE,
    appId: '777',
    now: () => clock,
    profileCallLimit: { calls: 10, windowMs: 600_000 },
  });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  clock += 1_000_000;
});

interface RawOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly token?: string | null;
  readonly proof?: string | null;
}
interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly json: unknown;
  readonly text: string;
}

async function raw(method: string, path: string, o: RawOptions = {}): Promise<RawAnswer> {
  const q = new URLSearchParams(o.query);
  if (o.token !== null) q.set('access_token', o.token ?? TOKEN);
  if (o.proof !== null) q.set('appsecret_proof', o.proof ?? PROOF);
  const init: RequestInit = { method };
  if (o.rawBody !== undefined || o.body !== undefined) {
    init.body = o.rawBody ?? JSON.stringify(o.body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${fake.url}${path}?${q.toString()}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json, text };
}

const envelopeSchema = z.object({ error: z.object({ message: z.string(), type: z.string() }) });
/** The `error` of Meta's envelope in an answer. */
const errorOf = (a: RawAnswer) => envelopeSchema.parse(a.json).error;
const messageIdOf = (a: RawAnswer) => z.object({ message_id: z.string() }).parse(a.json).message_id;

const send = (psid: string, message: unknown = { text: 'hello' }, extra: Record<string, unknown> = {}) => ({
  recipient: { id: psid },
  messaging_type: 'RESPONSE',
  message,
  ...extra,
});

/** Meta's error envelope. */
function expectEnvelope(a: RawAnswer, status: number, code: number, subcode?: number): void {
  expect(a.status).toBe(status);
  expect(a.contentType).toContain('application/json');
  expect(a.json).toEqual({
    error: {
      message: expect.any(String),
      type: expect.any(String),
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      ...(code === 1 || code === 2 ? { is_transient: true } : {}),
      fbtrace_id: expect.stringMatching(/^AFake/),
    },
  });
}

describe('authentication', () => {
  it('accepts the right token and proof', async () => {
    const a = await raw('POST', '/v26.0/me/messages', { body: send('u1') });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ recipient_id: 'u1', message_id: expect.stringMatching(/^m_fake_/) });
  });

  it('wrong token → 190; missing token → 2500', async () => {
    const wrong = await raw('POST', '/v26.0/me/messages', { body: send('u1'), token: 'EAAother' });
    expectEnvelope(wrong, 400, 190);
    expect(errorOf(wrong).type).toBe('OAuthException');
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1'), token: null }), 400, 2500);
  });

  it('a bearer header carries the token as well, and the call records where the token came', async () => {
    const q = new URLSearchParams({ appsecret_proof: PROOF });
    const res = await fetch(`${fake.url}/v26.0/u9?${q.toString()}&fields=first_name`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    await raw('POST', '/v26.0/me/messages', { body: send('u1') });
    await raw('POST', '/v26.0/me/messages', { body: send('u1'), token: null });
    expect(fake.calls.map((c) => c.tokenIn)).toEqual(['header', 'query', 'none']);
  });

  it('a wrong bearer token → 190, even beside a right one in the query', async () => {
    const q = new URLSearchParams({ appsecret_proof: PROOF });
    const wrongHeader = await fetch(`${fake.url}/v26.0/u9?${q.toString()}`, { headers: { authorization: 'Bearer EAAother' } });
    expect(wrongHeader.status).toBe(400);
    expect(((await wrongHeader.json()) as { error: { code: number } }).error.code).toBe(190);
    q.set('access_token', TOKEN);
    const both = await fetch(`${fake.url}/v26.0/u9?${q.toString()}`, { headers: { authorization: 'Bearer EAAother' } });
    expect(((await both.json()) as { error: { code: number } }).error.code).toBe(190);
    expect(fake.calls.map((c) => c.tokenIn)).toEqual(['header', 'both']);
  });

  it('missing or wrong appsecret_proof → 100', async () => {
    const missing = await raw('POST', '/v26.0/me/messages', { body: send('u1'), proof: null });
    expectEnvelope(missing, 400, 100);
    expect(errorOf(missing).message).toContain('appsecret_proof');
    const wrongProof = createHmac('sha256', 'other-secret').update(TOKEN).digest('hex');
    const wrong = await raw('POST', '/v26.0/me/messages', { body: send('u1'), proof: wrongProof });
    expectEnvelope(wrong, 400, 100);
    expect(errorOf(wrong).message).toContain('Invalid appsecret_proof');
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1'), proof: 'short' }), 400, 100);
    expect(fake.sentMessages()).toHaveLength(0);
  });

  it('tokenInvalid answers 190 to a correct token too', async () => {
    fake.fail.tokenInvalid();
    expectEnvelope(await raw('GET', '/v26.0/me/thread_owner', { query: { recipient: 'u1' } }), 400, 190);
  });

  it('can run without requiring the proof', async () => {
    const lax = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE, requireAppsecretProof: false });
    try {
      const res = await fetch(`${lax.url}/v26.0/me/messages?access_token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(send('u1')),
      });
      expect(res.status).toBe(200);
    } finally {
      await lax.stop();
    }
  });
});

describe('Send API validation: what Meta would reject', () => {
  it('a too-long quick reply title sent raw → 400 / 100 naming the param', async () => {
    const body = send('u1', { text: 'pick', quick_replies: [{ content_type: 'text', title: 'x'.repeat(21), payload: 'P' }] });
    const a = await raw('POST', '/v26.0/me/messages', { body });
    expectEnvelope(a, 400, 100);
    expect(errorOf(a).type).toBe('OAuthException');
    expect(errorOf(a).message).toBe('(#100) param message[quick_replies][0][title]: must be at most 20 characters');
    expect(fake.sentMessages()).toHaveLength(0);
    expect(fake.calls[0]).toMatchObject({ endpoint: 'messages', status: 400, recipientId: undefined });
  });

  it.each<[string, unknown]>([
    ['text over 2000 characters', send('u1', { text: 'x'.repeat(2001) })],
    ['emoji count as one character, 2001 of them', send('u1', { text: '👟'.repeat(2001) })],
    [
      '14 quick replies',
      send('u1', {
        text: 'q',
        quick_replies: Array.from({ length: 14 }, (_, i) => ({ content_type: 'text', title: `t${i}`, payload: 'p' })),
      }),
    ],
    [
      '11 generic elements',
      send('u1', {
        attachment: {
          type: 'template',
          payload: { template_type: 'generic', elements: Array.from({ length: 11 }, () => ({ title: 'a', subtitle: 'b' })) },
        },
      }),
    ],
    [
      'a button template with 4 buttons',
      send('u1', {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: 'b',
            buttons: Array.from({ length: 4 }, () => ({ type: 'postback', title: 't', payload: 'p' })),
          },
        },
      }),
    ],
    ['an http (not https) image', send('u1', { attachment: { type: 'image', payload: { url: 'http://example.com/a.png' } } })],
    ['empty text', send('u1', { text: '' })],
    [
      'text and attachment together',
      send('u1', { text: 'a', attachment: { type: 'image', payload: { url: 'https://example.com/a.png' } } }),
    ],
    ['MESSAGE_TAG without a tag', send('u1', { text: 'a' }, { messaging_type: 'MESSAGE_TAG' })],
    ['a retired tag', send('u1', { text: 'a' }, { messaging_type: 'MESSAGE_TAG', tag: 'SHIPPING_UPDATE' })],
    ['message and sender_action in one request', { ...send('u1'), sender_action: 'typing_on' }],
    ['no recipient', { messaging_type: 'RESPONSE', message: { text: 'a' } }],
    ['an unknown sender action', { recipient: { id: 'u1' }, sender_action: 'dance' }],
  ])('%s → 400 / 100', async (_name, body) => {
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body }), 400, 100);
  });

  it('invalid JSON → 400 / 100', async () => {
    const a = await raw('POST', '/v26.0/me/messages', { rawBody: '{"recipient":' });
    expectEnvelope(a, 400, 100);
    expect(errorOf(a).message).toContain('Invalid JSON');
  });

  it('accepts the page id in place of me, a tagged non-promo update and every template', async () => {
    expect((await raw('POST', `/v25.0/${PAGE}/messages`, { body: send('u1') })).status).toBe(200);
    expect(
      (
        await raw('POST', '/v26.0/me/messages', {
          body: send('u1', { text: 'Your order shipped' }, { messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE' }),
        })
      ).status,
    ).toBe(200);
    const card = {
      title: 'Runner X',
      subtitle: '$89',
      image_url: 'https://example.com/x.jpg',
      buttons: [{ type: 'web_url', title: 'Buy', url: 'https://example.com/x' }],
    };
    expect(
      (
        await raw('POST', '/v26.0/me/messages', {
          body: send('u1', { attachment: { type: 'template', payload: { template_type: 'generic', elements: [card] } } }),
        })
      ).status,
    ).toBe(200);
    expect(fake.sentMessages('u1')).toHaveLength(3);
  });

  it('sender actions answer recipient_id only and are recorded as sender_action', async () => {
    const a = await raw('POST', '/v26.0/me/messages', { body: { recipient: { id: 'u1' }, sender_action: 'mark_seen' } });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ recipient_id: 'u1' });
    expect(fake.calls[0]?.endpoint).toBe('sender_action');
    expect(fake.sentMessages()).toHaveLength(0);
  });
});

describe('routing', () => {
  it('unknown paths → 2500; wrong methods → 100/33', async () => {
    expectEnvelope(await raw('POST', '/v26.0/me/nonsense', { body: {} }), 400, 2500);
    expectEnvelope(await raw('GET', '/me/messages'), 400, 2500);
    expectEnvelope(await raw('GET', '/v26.0/me/messages'), 400, 100, 33);
    expectEnvelope(await raw('GET', '/v26.0/u1/friends'), 400, 2500);
  });

  it('thread_owner without a recipient → 100', async () => {
    expectEnvelope(await raw('GET', '/v26.0/me/thread_owner'), 400, 100);
  });

  it('user profile: unknown field → 100; only asked fields are answered', async () => {
    expectEnvelope(await raw('GET', '/v26.0/u1', { query: { fields: 'first_name,email' } }), 400, 100);
    const a = await raw('GET', '/v26.0/u1', { query: { fields: 'first_name,locale' } });
    expect(a.json).toEqual({ id: 'u1', first_name: 'Sam', locale: 'en_US' });
  });

  it('thread control bodies are validated', async () => {
    expectEnvelope(await raw('POST', '/v26.0/me/pass_thread_control', { body: { recipient: { id: 'u1' } } }), 400, 100);
    expectEnvelope(
      await raw('POST', '/v26.0/me/release_thread_control', { body: { recipient: { id: 'u1' }, metadata: 'x' } }),
      400,
      100,
    );
    const ok = await raw('POST', '/v26.0/me/pass_thread_control', {
      body: { recipient: { id: 'u1' }, target_app_id: 263902037430900 },
    });
    expect(ok.json).toEqual({ success: true });
    expect(fake.threadOwnerOf('u1')).toBe('263902037430900');
    expect((await raw('GET', '/v26.0/me/thread_owner', { query: { recipient: 'u1' } })).json).toEqual({
      data: [{ thread_owner: { app_id: '263902037430900' } }],
    });
    expect(fake.threadOwnerOf('u2')).toBe('777');
  });
});

describe('Messenger Profile', () => {
  it('stores fields; GET returns { data: [ {...fields} ] } or { data: [] }', async () => {
    expect((await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'greeting' } })).json).toEqual({ data: [] });
    const post = await raw('POST', '/v26.0/me/messenger_profile', {
      body: {
        get_started: { payload: 'GO' },
        ice_breakers: [{ locale: 'default', call_to_actions: [{ question: 'Where is my order?', payload: 'ORDER' }] }],
      },
    });
    expect(post.json).toEqual({ result: 'success' });
    const get = await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'get_started,ice_breakers,greeting' } });
    expect(get.json).toEqual({
      data: [
        {
          get_started: { payload: 'GO' },
          ice_breakers: [{ locale: 'default', call_to_actions: [{ question: 'Where is my order?', payload: 'ORDER' }] }],
        },
      ],
    });
  });

  it.each<[string, unknown]>([
    ['an unknown field', { home_url: 'https://example.com' }],
    [
      '5 ice breakers',
      {
        ice_breakers: [
          { locale: 'default', call_to_actions: Array.from({ length: 5 }, (_, i) => ({ question: `q${i}`, payload: 'p' })) },
        ],
      },
    ],
    [
      '21 menu items',
      {
        get_started: { payload: 'GO' },
        persistent_menu: [
          {
            locale: 'default',
            call_to_actions: Array.from({ length: 21 }, (_, i) => ({ type: 'postback', title: `t${i}`, payload: 'p' })),
          },
        ],
      },
    ],
    ['a localhost whitelisted domain', { whitelisted_domains: ['https://localhost'] }],
    ['an IP whitelisted domain', { whitelisted_domains: ['https://10.0.0.1'] }],
    ['an http whitelisted domain', { whitelisted_domains: ['http://shop.example.com'] }],
    ['an empty body', {}],
  ])('refuses %s with 100', async (_name, body) => {
    expectEnvelope(await raw('POST', '/v26.0/me/messenger_profile', { body }), 400, 100);
  });

  it('GET needs fields; DELETE takes a body or a fields query', async () => {
    expectEnvelope(await raw('GET', '/v26.0/me/messenger_profile'), 400, 100);
    expectEnvelope(await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'get_started,nope' } }), 400, 100);
    await raw('POST', '/v26.0/me/messenger_profile', {
      body: { get_started: { payload: 'GO' }, whitelisted_domains: ['https://shop.example.com'] },
    });
    expect((await raw('DELETE', '/v26.0/me/messenger_profile', { body: { fields: ['whitelisted_domains'] } })).status).toBe(200);
    expect(fake.messengerProfile()).toEqual({ get_started: { payload: 'GO' } });
    expect((await raw('DELETE', '/v26.0/me/messenger_profile', { query: { fields: 'get_started' } })).status).toBe(200);
    expect(fake.messengerProfile()).toEqual({});
  });

  it('optionally enforces 10 calls per 10 minutes with 613', async () => {
    for (let i = 0; i < 10; i += 1)
      expect((await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'greeting' } })).status).toBe(200);
    expectEnvelope(await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'greeting' } }), 400, 613);
    clock += 600_001;
    expect((await raw('GET', '/v26.0/me/messenger_profile', { query: { fields: 'greeting' } })).status).toBe(200);
  });
});

describe('failure controls', () => {
  it('per recipient: any code, a number of times, chosen endpoints', async () => {
    fake.fail.recipient('u1', FAKE_ERRORS.transient, { times: 2, endpoints: ['messages'] });
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1') }), 500, 2);
    expect(
      (await raw('POST', '/v26.0/me/messages', { body: { recipient: { id: 'u1' }, sender_action: 'typing_on' } })).status,
    ).toBe(200);
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1') }), 500, 2);
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u1') })).status).toBe(200);
    fake.fail.recipient('u2', { code: 555, subcode: 1, message: 'custom', status: 403 });
    const custom = await raw('POST', '/v26.0/me/messages', { body: send('u2') });
    expectEnvelope(custom, 403, 555, 1);
    expect(errorOf(custom).message).toBe('custom');
    fake.fail.clearRecipient('u2');
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u2') })).status).toBe(200);
  });

  it('page-wide rate limit for N ms (clock injected), any code', async () => {
    fake.fail.pageRateLimit(2_000);
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1') }), 400, 613);
    expectEnvelope(await raw('GET', '/v26.0/u2', { query: { fields: 'first_name' } }), 400, 613);
    clock += 2_000;
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u1') })).status).toBe(200);
    fake.fail.pageRateLimit(10, FAKE_ERRORS.pageRateLimit);
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1') }), 400, 32);
  });

  it('next N requests: 500 with code 2 by default, or a raw proxy answer', async () => {
    fake.fail.nextRequests(2);
    expectEnvelope(await raw('POST', '/v26.0/me/messages', { body: send('u1') }), 500, 2);
    expectEnvelope(await raw('GET', '/v26.0/me/thread_owner', { query: { recipient: 'u1' } }), 500, 2);
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u1') })).status).toBe(200);
    fake.fail.nextRequests(1, { code: 0, status: 502, raw: '<html>Bad Gateway</html>' });
    const proxy = await raw('POST', '/v26.0/me/messages', { body: send('u1') });
    expect(proxy.status).toBe(502);
    expect(proxy.contentType).toContain('text/html');
    expect(proxy.text).toBe('<html>Bad Gateway</html>');
  });

  it("handover disabled: thread control and thread_owner answer Meta's message", async () => {
    fake.fail.handoverDisabled();
    for (const path of ['take_thread_control', 'request_thread_control', 'release_thread_control']) {
      const a = await raw('POST', `/v26.0/me/${path}`, { body: { recipient: { id: 'u1' } } });
      expect(a.status).toBe(400);
      expect(errorOf(a).message).toBe(HANDOVER_DISABLED_MESSAGE);
    }
    expect(errorOf(await raw('GET', '/v26.0/me/thread_owner', { query: { recipient: 'u1' } })).message).toBe(
      HANDOVER_DISABLED_MESSAGE,
    );
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u1') })).status).toBe(200);
    expect(fake.threadOwnerOf('u1')).toBe('777');
  });

  it('latency delays the answer; the call is processed on arrival', async () => {
    fake.fail.latency(100);
    let answered = false;
    let answeredWhenRecorded: boolean | undefined;
    const unsubscribe = fake.onCall(() => (answeredWhenRecorded ??= answered));
    const started = Date.now();
    const pending = raw('POST', '/v26.0/me/messages', { body: send('u1') }).finally(() => (answered = true));
    try {
      expect((await pending).status).toBe(200);
    } finally {
      unsubscribe();
    }
    // Recorded (processed) before the answer went out, and the answer came at least 100 ms later.
    expect(answeredWhenRecorded).toBe(false);
    expect(fake.sentMessages('u1')).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('clear removes every failure', async () => {
    fake.fail.tokenInvalid();
    fake.fail.nextRequests(5);
    fake.fail.pageRateLimit(60_000);
    fake.fail.recipient('u1', FAKE_ERRORS.unavailable);
    // A latency no request on any machine takes by itself: were it left in place, the answer
    // would come a minute late.
    fake.fail.latency(60_000);
    fake.fail.clear();
    const started = Date.now();
    expect((await raw('POST', '/v26.0/me/messages', { body: send('u1') })).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('recording', () => {
  it('records method, path, query (token redacted), body, time, status and answer; tells listeners', async () => {
    const heard: FakeCall[] = [];
    const stop = fake.onCall((c) => heard.push(c));
    await raw('POST', '/v26.0/me/messages', { body: send('u1'), query: { extra: '1' } });
    stop();
    await raw('POST', '/v26.0/me/messages', { body: send('u2') });
    expect(fake.calls[0]).toEqual({
      method: 'POST',
      path: '/v26.0/me/messages',
      endpoint: 'messages',
      query: { extra: '1', access_token: '[redacted]', appsecret_proof: PROOF },
      tokenIn: 'query',
      body: send('u1'),
      recipientId: 'u1',
      at: clock,
      status: 200,
      response: { recipient_id: 'u1', message_id: expect.any(String) },
    });
    expect(heard).toHaveLength(1);
    expect(fake.callCount).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(fake.calls)).not.toContain(TOKEN);
    fake.clearCalls();
    expect(fake.calls).toHaveLength(0);
  });

  it('message ids are unique', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) ids.add(messageIdOf(await raw('POST', '/v26.0/me/messages', { body: send(`u${i % 3}`) })));
    expect(ids.size).toBe(20);
  });

  it('stops: later calls cannot connect', async () => {
    const other = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE });
    const url = other.url;
    await other.stop();
    await expect(fetch(`${url}/v26.0/me/messages`)).rejects.toThrow();
  });
});
