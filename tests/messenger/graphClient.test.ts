import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import pino from 'pino';
import { FAKE_ERRORS, startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import {
  appsecretProof,
  createGraphClient,
  graphClientOptions,
  type ClosableGraphClient,
  type GraphClientOptions,
} from '../../src/messenger/graphClient';
import { classifyGraphError, GraphApiError } from '../../src/messenger/graphErrors';
import type { SendRequest } from '../../src/platform/sendApiSchema';
import { testConfig } from '../support/testEnv';

const SECRET = 'graph-test-app-secret';
const TOKEN = 'EAAgraph-test-page-token-0123456789';
const PAGE = 'page-graph-1';
const PAGE_INBOX = '263902037430900';

/** When set, the fake's clock stands still at this time. */
let frozenAt: number | undefined;
let fake: FakeGraphApi;
let client: ClosableGraphClient;
const clients: ClosableGraphClient[] = [];

const optionsFor = (overrides: Partial<GraphClientOptions> = {}): GraphClientOptions => ({
  baseUrl: fake.url,
  version: 'v26.0',
  pageId: PAGE,
  accessToken: TOKEN,
  appSecret: SECRET,
  timeoutMs: 2_000,
  ...overrides,
});
const newClient = (overrides: Partial<GraphClientOptions> = {}): ClosableGraphClient => {
  const c = createGraphClient(optionsFor(overrides));
  clients.push(c);
  return c;
};

beforeAll(async () => {
  fake = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE, now: () => frozenAt ?? Date.now() });
  client = newClient();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  frozenAt = undefined;
});

const text = (psid: string, body = 'Hello there', extra: Partial<SendRequest> = {}): SendRequest => ({
  recipient: { id: psid },
  messaging_type: 'RESPONSE',
  message: { text: body },
  ...extra,
});

/** Runs `fn`, expecting a GraphApiError, and returns it. */
async function graphError(fn: () => Promise<unknown>): Promise<GraphApiError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof GraphApiError) return e;
    throw e;
  }
  throw new Error('expected a GraphApiError');
}

describe('Send API', () => {
  it('sends a message and returns Meta ids; the fake saw exactly the request', async () => {
    const request = text('psid-1', 'Hi Sam 👟', {
      message: { text: 'Hi Sam 👟', quick_replies: [{ content_type: 'text', title: 'Shop shoes', payload: 'SHOES' }] },
    });
    const result = await client.sendMessage(request);
    expect(result.recipientId).toBe('psid-1');
    expect(result.messageId).toMatch(/^m_fake_/);
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call).toMatchObject({
      method: 'POST',
      path: '/v26.0/me/messages',
      endpoint: 'messages',
      status: 200,
      recipientId: 'psid-1',
    });
    expect(call.body).toEqual(request);
    expect(call.response).toEqual({ recipient_id: 'psid-1', message_id: result.messageId });
  });

  it('carries the token in the Authorization header, never in the URL, and appsecret_proof = HMAC-SHA256(token, key = app secret) on every call', async () => {
    await client.sendMessage(text('psid-1'));
    await client.senderAction('psid-1', 'typing_on');
    await client.threadOwner('psid-1');
    await client.userProfile('psid-1', ['first_name']);
    await client.getMessengerProfile(['get_started']);
    await client.setMessengerProfile({ greeting: [{ locale: 'default', text: 'Hi' }] });
    await client.deleteMessengerProfile(['greeting']);
    await client.passThreadControl('psid-1', PAGE_INBOX);
    const expected = createHmac('sha256', SECRET).update(TOKEN).digest('hex');
    expect(appsecretProof(TOKEN, SECRET)).toBe(expected);
    expect(fake.calls).toHaveLength(8);
    for (const call of fake.calls) {
      expect(call.status).toBe(200);
      expect(call.query.appsecret_proof).toBe(expected);
      expect(call.query).not.toHaveProperty('access_token');
      expect(call.tokenIn).toBe('header');
    }
  });

  it('a wrong app secret gives a wrong proof, which the fake refuses with 100', async () => {
    const e = await graphError(() => newClient({ appSecret: 'not-the-secret' }).sendMessage(text('psid-1')));
    expect(e).toMatchObject({ httpStatus: 400, graphCode: 100, graphType: 'GraphMethodException', sent: true });
    expect(e.graphMessage).toContain('appsecret_proof');
    expect(fake.sentMessages()).toHaveLength(0);
  });

  it('a wrong token (in the header) is 190 → auth', async () => {
    const e = await graphError(() => newClient({ accessToken: 'EAAwrong' }).sendMessage(text('psid-1')));
    expect(e.graphCode).toBe(190);
    expect(classifyGraphError(e)).toBe('auth');
    expect(fake.calls.map((c) => [c.tokenIn, c.query.access_token])).toEqual([['header', undefined]]);
  });

  it('refuses a too-long quick reply title before sending: nothing reaches the fake', async () => {
    const request = text('psid-1', 'Pick one', {
      message: { text: 'Pick one', quick_replies: [{ content_type: 'text', title: 'This title is way too long', payload: 'P' }] },
    });
    const e = await graphError(() => client.sendMessage(request));
    expect(e).toMatchObject({ sent: false, graphCode: 100, httpStatus: 400 });
    expect(e.graphMessage).toContain('message[quick_replies][0][title]');
    expect(e.graphMessage).toContain('at most 20 characters');
    expect(e.classification).toBe('drop');
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses MESSAGE_TAG without a tag and a metadata over 1000 chars before sending', async () => {
    await expect(client.sendMessage(text('psid-1', 'x', { messaging_type: 'MESSAGE_TAG' }))).rejects.toMatchObject({
      sent: false,
    });
    await expect(client.passThreadControl('psid-1', PAGE_INBOX, 'm'.repeat(1001))).rejects.toMatchObject({
      sent: false,
      graphCode: 100,
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('sends sender actions as their own requests', async () => {
    await client.senderAction('psid-2', 'typing_on');
    await client.senderAction('psid-2', 'mark_seen');
    expect(fake.calls.map((c) => [c.endpoint, c.body])).toEqual([
      ['sender_action', { recipient: { id: 'psid-2' }, sender_action: 'typing_on' }],
      ['sender_action', { recipient: { id: 'psid-2' }, sender_action: 'mark_seen' }],
    ]);
    expect(fake.sentMessages()).toHaveLength(0);
  });
});

describe('errors produced by the fake, classified', () => {
  it('551/1545041 → unreachable_user', async () => {
    fake.fail.recipient('blocked', FAKE_ERRORS.unavailable);
    const e = await graphError(() => client.sendMessage(text('blocked')));
    expect(e).toMatchObject({ httpStatus: 400, graphCode: 551, errorSubcode: 1545041, graphType: 'OAuthException' });
    expect(e.fbtraceId).toMatch(/^AFake/);
    expect(e.classification).toBe('unreachable_user');
    await expect(client.sendMessage(text('someone-else'))).resolves.toBeDefined();
  });

  it('10/2018278 → outside_window', async () => {
    fake.fail.recipient('late', FAKE_ERRORS.outsideWindow);
    const e = await graphError(() => client.sendMessage(text('late')));
    expect(e).toMatchObject({ graphCode: 10, errorSubcode: 2018278 });
    expect(e.graphMessage).toContain('outside of allowed window');
    expect(e.classification).toBe('outside_window');
  });

  it('100/2018001 → unreachable_user (PSID dead); plain 100 → drop', async () => {
    fake.fail.recipient('ghost', FAKE_ERRORS.noMatchingUser);
    expect((await graphError(() => client.sendMessage(text('ghost')))).classification).toBe('unreachable_user');
    fake.fail.recipient('bad', { code: 100, message: '(#100) Invalid parameter' });
    expect((await graphError(() => client.sendMessage(text('bad')))).classification).toBe('drop');
  });

  it.each([
    ['2 (HTTP 500)', FAKE_ERRORS.transient, 'retryable'],
    ['1200/2018024', FAKE_ERRORS.temporarySendFailure, 'retryable'],
    ['4', { code: 4 }, 'rate_limited'],
    ['4/2018354', { code: 4, subcode: 2018354 }, 'drop'],
    ['32', FAKE_ERRORS.pageRateLimit, 'rate_limited'],
    ['200', FAKE_ERRORS.permission, 'auth'],
    ['1/99', { code: 1, subcode: 99, status: 400 }, 'auth'],
  ] as const)('any code: %s → %s', async (_name, error, expected) => {
    fake.fail.recipient('u', error);
    expect((await graphError(() => client.sendMessage(text('u')))).classification).toBe(expected);
  });

  it('a revoked token (190) → auth, for every endpoint', async () => {
    fake.fail.tokenInvalid();
    for (const call of [
      () => client.sendMessage(text('a')),
      () => client.threadOwner('a'),
      () => client.getMessengerProfile(['greeting']),
    ]) {
      const e = await graphError(call);
      expect(e.graphCode).toBe(190);
      expect(e.classification).toBe('auth');
    }
    fake.fail.tokenInvalid(false);
    await expect(client.sendMessage(text('a'))).resolves.toBeDefined();
  });

  it('HTTP 502 from a proxy without an envelope → retryable', async () => {
    fake.fail.nextRequests(1, { code: 0, status: 502, raw: '<html>Bad Gateway</html>' });
    const e = await graphError(() => client.sendMessage(text('a')));
    expect(e).toMatchObject({ httpStatus: 502, graphCode: undefined });
    expect(e.classification).toBe('retryable');
  });

  it('a timeout → httpStatus 0, transport timeout, retryable', async () => {
    fake.fail.latency(400);
    const e = await graphError(() => newClient({ timeoutMs: 60 }).sendMessage(text('slow')));
    expect(e).toMatchObject({ httpStatus: 0, transport: 'timeout' });
    expect(e.classification).toBe('retryable');
  });

  it('nobody listening → httpStatus 0, transport network, retryable', async () => {
    const gone = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE });
    const url = gone.url;
    await gone.stop();
    const e = await graphError(() => newClient({ baseUrl: url }).sendMessage(text('a')));
    expect(e).toMatchObject({ httpStatus: 0, transport: 'network' });
    expect(e.graphMessage).toContain('ECONNREFUSED');
    expect(e.classification).toBe('retryable');
  });

  it('"Handover Protocol APIs disabled for this page." → handover_disabled', async () => {
    fake.fail.handoverDisabled();
    for (const call of [
      () => client.passThreadControl('a', PAGE_INBOX),
      () => client.takeThreadControl('a'),
      () => client.threadOwner('a'),
    ]) {
      expect((await graphError(call)).classification).toBe('handover_disabled');
    }
    fake.fail.handoverDisabled(true, { passAndReleaseStillWork: true });
    await expect(client.passThreadControl('a', PAGE_INBOX)).resolves.toBeUndefined();
    await expect(client.releaseThreadControl('a')).resolves.toBeUndefined();
    expect((await graphError(() => client.requestThreadControl('a'))).classification).toBe('handover_disabled');
  });
});

describe('page-wide rate limit and latency', () => {
  it('613 for N ms answers every call for every user, then recovers', async () => {
    const t0 = Date.now();
    frozenAt = t0;
    fake.fail.pageRateLimit(5_000);
    for (const psid of ['u1', 'u2']) {
      const e = await graphError(() => client.sendMessage(text(psid)));
      expect(e.graphCode).toBe(613);
      expect(e.classification).toBe('rate_limited');
    }
    expect((await graphError(() => client.senderAction('u3', 'typing_on'))).graphCode).toBe(613);
    frozenAt = t0 + 4_999;
    expect((await graphError(() => client.sendMessage(text('u1')))).graphCode).toBe(613);
    frozenAt = t0 + 5_000;
    await expect(client.sendMessage(text('u1'))).resolves.toBeDefined();
    expect(fake.sentMessages()).toHaveLength(1);
  });

  it('latency delays every answer', async () => {
    // Long next to a local request even on a busy machine, so "without it, faster than it" holds.
    const LATENCY = 1_000;
    const patient = newClient({ timeoutMs: 30_000 });
    const timedCall = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      await call();
      return Date.now() - started;
    };
    fake.fail.latency(LATENCY);
    const delayed = await Promise.all([
      timedCall(() => patient.sendMessage(text('l1'))),
      timedCall(() => patient.threadOwner('l2')),
    ]);
    for (const ms of delayed) expect(ms).toBeGreaterThanOrEqual(LATENCY - 10);
    fake.fail.latency(0);
    expect(await timedCall(() => patient.sendMessage(text('l1')))).toBeLessThan(LATENCY);
  });
});

describe('thread control', () => {
  it('round trip: owner follows pass, take, request, release', async () => {
    expect(await client.threadOwner('h1')).toBe(fake.appId);
    await client.passThreadControl('h1', PAGE_INBOX, 'customer asked for a person');
    expect(await client.threadOwner('h1')).toBe(PAGE_INBOX);
    await client.requestThreadControl('h1', 'bot wants it back');
    expect(await client.threadOwner('h1')).toBe(PAGE_INBOX);
    await client.takeThreadControl('h1', 'timeout');
    expect(await client.threadOwner('h1')).toBe(fake.appId);
    await client.releaseThreadControl('h1');
    expect(await client.threadOwner('h1')).toBeNull();
    fake.setThreadOwner('h1', PAGE_INBOX);
    expect(await client.threadOwner('h1')).toBe(PAGE_INBOX);
    expect(await client.threadOwner('h2')).toBe(fake.appId);
    const bodies = fake.calls.filter((c) => c.endpoint === 'thread_control').map((c) => [c.path, c.body]);
    expect(bodies).toEqual([
      [
        '/v26.0/me/pass_thread_control',
        { recipient: { id: 'h1' }, target_app_id: PAGE_INBOX, metadata: 'customer asked for a person' },
      ],
      ['/v26.0/me/request_thread_control', { recipient: { id: 'h1' }, metadata: 'bot wants it back' }],
      ['/v26.0/me/take_thread_control', { recipient: { id: 'h1' }, metadata: 'timeout' }],
      ['/v26.0/me/release_thread_control', { recipient: { id: 'h1' } }],
    ]);
    expect(fake.calls.find((c) => c.endpoint === 'thread_owner')?.query.recipient).toBe('h1');
  });
});

describe('Messenger Profile', () => {
  const greeting = [{ locale: 'default', text: 'Hi {{user_first_name}}, welcome to Northwind!' }];

  it('set, get, delete', async () => {
    expect(await client.getMessengerProfile(['get_started', 'greeting'])).toEqual({});
    await client.setMessengerProfile({ get_started: { payload: 'GET_STARTED' }, greeting });
    expect(await client.getMessengerProfile(['get_started', 'greeting'])).toEqual({
      get_started: { payload: 'GET_STARTED' },
      greeting,
    });
    expect(await client.getMessengerProfile(['greeting'])).toEqual({ greeting });
    await client.deleteMessengerProfile(['greeting']);
    expect(await client.getMessengerProfile(['get_started', 'greeting'])).toEqual({ get_started: { payload: 'GET_STARTED' } });
    expect(fake.messengerProfile()).toEqual({ get_started: { payload: 'GET_STARTED' } });
    const del = fake.calls.find((c) => c.method === 'DELETE');
    expect(del).toMatchObject({ path: '/v26.0/me/messenger_profile', body: { fields: ['greeting'] }, status: 200 });
    expect(fake.calls.find((c) => c.method === 'GET')?.query.fields).toBe('get_started,greeting');
  });

  it('refuses an invalid profile before sending (greeting over 160 chars, no default locale)', async () => {
    const e = await graphError(() => client.setMessengerProfile({ greeting: [{ locale: 'default', text: 'x'.repeat(161) }] }));
    expect(e).toMatchObject({ sent: false, graphCode: 100 });
    expect(e.graphMessage).toContain('greeting[0][text]');
    const e2 = await graphError(() => client.setMessengerProfile({ greeting: [{ locale: 'en_US', text: 'Hi' }] }));
    expect(e2.graphMessage).toContain('default');
    expect(fake.calls).toHaveLength(0);
  });

  it('the fake refuses a persistent menu without Get Started, as Meta does', async () => {
    const persistent_menu = [
      { locale: 'default', call_to_actions: [{ type: 'postback' as const, title: 'Shop', payload: 'SHOP' }] },
    ];
    const e = await graphError(() => client.setMessengerProfile({ persistent_menu }));
    expect(e).toMatchObject({ sent: true, graphCode: 100 });
    expect(e.graphMessage).toContain('Get Started');
    await client.setMessengerProfile({ get_started: { payload: 'GO' }, persistent_menu });
    expect(await client.getMessengerProfile(['persistent_menu'])).toEqual({ persistent_menu });
  });
});

describe('user profile', () => {
  it('answers a deterministic first name (default Sam) and what was set', async () => {
    expect(await client.userProfile('p1', ['first_name'])).toEqual({ first_name: 'Sam' });
    fake.setUserProfile('p2', { first_name: 'Ana', locale: 'pt_BR', timezone: -3 });
    expect(await client.userProfile('p2', ['first_name', 'locale', 'timezone'])).toEqual({
      first_name: 'Ana',
      locale: 'pt_BR',
      timezone: -3,
    });
    expect(fake.calls[1]).toMatchObject({
      method: 'GET',
      path: '/v26.0/p2',
      endpoint: 'user_profile',
      query: { fields: 'first_name,locale,timezone' },
    });
  });

  it('a per-recipient failure on the profile endpoint only', async () => {
    fake.fail.recipient('p3', FAKE_ERRORS.noMatchingUser, { endpoints: ['user_profile'], times: 1 });
    expect((await graphError(() => client.userProfile('p3', ['first_name']))).classification).toBe('unreachable_user');
    await expect(client.sendMessage(text('p3'))).resolves.toBeDefined();
    await expect(client.userProfile('p3', ['first_name'])).resolves.toEqual({ first_name: 'Sam' });
  });
});

describe('secrets and texts stay out of logs and errors', () => {
  it('debug logs name the endpoint and status, never the token, the proof or the message text', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logged = newClient({ logger: pino({ level: 'debug' }, sink) });
    const secretText = 'my order number is 123456 and my address is secret street';
    await logged.sendMessage(text('psid-log', secretText));
    fake.fail.recipient('psid-log', FAKE_ERRORS.unavailable);
    await graphError(() => logged.sendMessage(text('psid-log', secretText)));
    fake.fail.latency(300);
    await graphError(() =>
      newClient({ timeoutMs: 50, logger: pino({ level: 'debug' }, sink) }).sendMessage(text('psid-log', secretText)),
    );
    const all = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(all).toContain('POST /me/messages');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(appsecretProof(TOKEN, SECRET));
    expect(all).not.toContain(secretText);
  });

  it('errors carry no token, even when inspected whole', async () => {
    fake.fail.latency(300);
    const timeout = await graphError(() => newClient({ timeoutMs: 50 }).sendMessage(text('x', 'private words')));
    fake.fail.latency(0);
    fake.fail.tokenInvalid();
    const auth = await graphError(() => client.sendMessage(text('x', 'private words')));
    for (const e of [timeout, auth]) {
      const shown = `${inspect(e, { depth: 10 })} ${JSON.stringify(e)} ${e.message} ${String(e.stack)}`;
      expect(shown).not.toContain(TOKEN);
      expect(shown).not.toContain('private words');
      expect(e.cause).toBeUndefined();
    }
  });
});

describe('graphClientOptions', () => {
  it('maps the configuration', () => {
    const config = testConfig({ GRAPH_API_URL: 'http://127.0.0.1:9', GRAPH_API_VERSION: 'v25.0' });
    expect(graphClientOptions(config, { timeoutMs: 5 })).toEqual({
      baseUrl: 'http://127.0.0.1:9',
      version: 'v25.0',
      pageId: config.MESSENGER_PAGE_ID,
      accessToken: config.MESSENGER_ACCESS_TOKEN,
      appSecret: config.MESSENGER_APP_SECRET,
      timeoutMs: 5,
    });
  });
});
