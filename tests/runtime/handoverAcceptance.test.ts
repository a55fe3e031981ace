/**
 * Acceptance for issue #5 (human handover), end to end on the production path: signed webhook →
 * inbox on real Redis (a unique key prefix per test, deleted afterwards) → worker → outbox sender
 * → the real-HTTP fake Graph API. The business clock is injected (`now: () => clock`), so the
 * 120-minute inactivity timeout is reached by moving `clock`, not by waiting. Every wait is on a
 * condition: before checking that something did NOT happen, a test waits until nothing is in
 * flight any more (every item applied, every effect delivered: tests/support/settled.ts).
 * Restart survival of the timer is covered by handoverTimer.test.ts and not repeated here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import type { Config } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState, type UserState } from '../../src/engine/userState';
import { PAGE_INBOX_APP_ID } from '../../src/platform/messagingRules';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { keysFor } from '../../src/store/keys';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, TEST_REDIS_URL, testConfig } from '../support/testEnv';
import { isSettled, partitionsUpTo, settled } from '../support/settled';
import { get, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';
import { disclosed } from '../support/demoDisclosure';

const APP = 'test-app'; // MESSENGER_APP_ID in testEnv, and the fake's app
const TOKEN = 'admin-token-0123456789';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TIMEOUT = 120 * MIN; // flows/settings.yaml leaves handover_timeout_minutes at its default
const HANDOVER_TEXT = 'Connecting you with a person. They will reply here.';
const WELCOME_BACK = "Hi again! You're chatting with our automated assistant now. Type MENU to see what I can do.";

let clock = 0;
let mids = 0;
let fake: FakeGraphApi;
let config: Config;
let services: RunningService[] = [];
let redis: ReturnType<typeof createClient>;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  clock = Date.now();
  fake = await startTestGraphApi();
  redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
});
afterEach(async () => {
  try {
    await Promise.all(services.map((s) => s.stop()));
    for (const close of closers.splice(0)) await close();
    await fake.stop();
    await redis.quit();
  } finally {
    services = [];
    await deletePrefix(config.REDIS_KEY_PREFIX);
  }
});

/** Starts `count` services (ROLE=all, PORT 0) on one Redis key prefix, sharing the injected clock. */
async function boot(env: Record<string, string> = {}, count = 1): Promise<RunningService> {
  config = testConfig({ GRAPH_API_URL: fake.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', ...env });
  for (let i = 0; i < count; i++) services.push(await startService(config, { now: () => clock }));
  return services[0]!;
}

// ---- webhook bodies (docs/messenger-platform.md §2.7, §2.8; tests/fixtures/webhooks/echo-read-reaction.json) ----
const envelope = (channel: 'messaging' | 'standby', e: Record<string, unknown>): string =>
  JSON.stringify({ object: 'page', entry: [{ id: TEST_PAGE, time: clock, [channel]: [{ timestamp: clock, ...e }] }] });
const fromCustomer = (psid: string) => ({ sender: { id: psid }, recipient: { id: TEST_PAGE } });
const standbyText = (psid: string, text: string) =>
  envelope('standby', { ...fromCustomer(psid), message: { mid: `m_acc_${++mids}`, text } });
/** A person writing in the Page Inbox: Meta echoes it with the Inbox app's id (a number). */
const inboxEcho = (psid: string, text: string, channel: 'messaging' | 'standby') =>
  envelope(channel, {
    sender: { id: TEST_PAGE },
    recipient: { id: psid },
    message: { is_echo: true, app_id: Number(PAGE_INBOX_APP_ID), mid: `m_acc_${++mids}`, text },
  });
/** The person pressed Done: the Page Inbox passes the thread back to our app. */
const passedBack = (psid: string) =>
  envelope('messaging', {
    ...fromCustomer(psid),
    pass_thread_control: { new_owner_app_id: APP, previous_owner_app_id: PAGE_INBOX_APP_ID, metadata: 'done' },
  });

async function post(body: string, svc = services[0]!): Promise<void> {
  const res = await postSigned(svc.port, body);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body}`);
}
const say = (psid: string, text: string, svc = services[0]!) =>
  post(textMessageBody(TEST_PAGE, psid, text, clock, `m_acc_${++mids}`), svc);

// ---- observations ----
const where = (psid: string) => ({
  partition: partitionOf(TEST_PAGE, psid, config.INBOX_PARTITIONS),
  userKey: userKeyOf(TEST_PAGE, psid),
});
async function stateOf(psid: string): Promise<UserState> {
  const { partition, userKey } = where(psid);
  return decodeUserState((await services[0]!.store.states.load(partition, userKey)).data);
}
const timerDue = (psid: string) =>
  redis.zScore(keysFor(config.REDIS_KEY_PREFIX).timers(where(psid).partition), `${where(psid).userKey}|handover_timeout`);
const until = (what: string, check: () => boolean | Promise<boolean>) =>
  waitFor(what, async () => ((await check()) ? true : undefined));
const threadIs = (psid: string, thread: UserState['thread']) =>
  until(`${psid} ${thread}`, async () => (await stateOf(psid)).thread === thread);
/** Graph calls about the customer (the profile lookup aside), in order. */
const callsOf = (psid: string) => fake.calls.filter((c) => c.recipientId === psid && c.endpoint !== 'user_profile');
const texts = (psid: string) =>
  fake.sentMessages(psid).map((c) => (c.body as { message: { text?: string } }).message.text ?? '[template]');
const control = (psid: string, edge: string) => fake.calls.filter((c) => c.recipientId === psid && c.path.endsWith(`/${edge}`));
/** Nothing in flight any more, so what has not happened by now will not. */
const quiet = () => settled(services[0]!.store, partitionsUpTo(config.INBOX_PARTITIONS));
const admin = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
  fetch(`http://127.0.0.1:${services[0]!.adminPort}/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** A user in the shop flow who then asks for a person; resolves once the pass went through. */
async function handedOver(psid: string): Promise<void> {
  await say(psid, 'hello');
  await until(`${psid} welcomed`, () => texts(psid).length === 2);
  await say(psid, 'talk to a person');
  await threadIs(psid, 'human');
}

describe('issue #5 handover, end to end on Redis', () => {
  it('1. "talk to a person": message, pass to the Page Inbox with metadata, human; 20 standby messages: no Graph call, all in the transcript', async () => {
    await boot();
    await handedOver('p1');
    const [pass, ...more] = control('p1', 'pass_thread_control');
    expect(more).toHaveLength(0);
    expect(pass?.body).toMatchObject({ recipient: { id: 'p1' }, target_app_id: PAGE_INBOX_APP_ID });
    const metadata = JSON.parse((pass?.body as { metadata: string }).metadata) as unknown;
    expect(metadata).toEqual({ reason: 'keyword', flow: 'shop', node: 'menu', fields: { first_name: 'Sam', visits: 1 } });
    expect(texts('p1').at(-1)).toBe(HANDOVER_TEXT);
    // The customer is told before the thread moves.
    expect(fake.calls.indexOf(fake.sentMessages('p1').at(-1)!)).toBeLessThan(fake.calls.indexOf(pass!));

    const before = callsOf('p1').length;
    for (let i = 1; i <= 20; i++) {
      clock += MIN;
      await post(standbyText('p1', `standby ${i}`));
    }
    // The last standby message re-arms the timer: once its score is stored, every effect of all
    // 20 items has been delivered (one partition's outbox runs in order).
    await until('the timer re-armed by the 20th message', async () => (await timerDue('p1')) === clock + TIMEOUT);
    await quiet();
    // Standby events are read-only: no send, no mark_seen, no typing, no thread-control call.
    expect(callsOf('p1').slice(before)).toEqual([]);
    const user = (await (await admin('GET', '/users/p1')).json()) as {
      thread: string;
      transcript: Array<{ from: string; text: string }>;
    };
    expect(user.thread).toBe('human');
    const heard = user.transcript.filter((t) => t.from === 'user').map((t) => t.text);
    expect(heard.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => `standby ${i + 1}`));
  });

  it('2. pass_thread_control back to our app: welcome-back once, state bot, the next message runs the flow', async () => {
    await boot();
    await handedOver('p2');
    fake.setThreadOwner('p2', APP);
    await post(passedBack('p2'));
    await until('the welcome-back', () => texts('p2').includes(WELCOME_BACK));
    const state = await stateOf('p2');
    expect(state).toMatchObject({ thread: 'bot', timer: null, position: { flow: 'shop', node: 'menu' } });
    expect(state.threadLog.at(-1)).toMatchObject({ from: 'human', to: 'bot', cause: 'control_returned' });
    expect(await timerDue('p2')).toBeNull();
    await say('p2', 'shipping');
    await until('a flow reply', () => texts('p2').length > 4);
    expect(texts('p2').filter((t) => t === WELCOME_BACK)).toHaveLength(1);
    expect(control('p2', 'take_thread_control')).toHaveLength(0);
  });

  it("3. inactivity timeout (fake clock): take_thread_control and bot; a person's reply postpones it", async () => {
    await boot();
    // Two users in one partition: `idle` is the control that proves the pump ran past the original due time.
    const busy = 'p3-busy';
    let idle = 'p3-idle-0';
    for (let i = 1; partitionOf(TEST_PAGE, idle, 16) !== partitionOf(TEST_PAGE, busy, 16); i++) idle = `p3-idle-${i}`;
    const start = clock;
    await Promise.all([handedOver(busy), handedOver(idle)]);
    await until(
      'both timers armed',
      async () => (await timerDue(busy)) === start + TIMEOUT && (await timerDue(idle)) === start + TIMEOUT,
    );

    clock = start + 30 * MIN;
    await post(inboxEcho(busy, 'Hi, Anna here. Let me check your order.', 'standby'));
    await until('the timeout postponed', async () => (await timerDue(busy)) === start + 30 * MIN + TIMEOUT);
    expect((await stateOf(busy)).transcript.at(-1)).toMatchObject({
      from: 'agent',
      text: 'Hi, Anna here. Let me check your order.',
    });

    clock = start + TIMEOUT + MIN; // past the original due time only
    await until('idle: take_thread_control', () => control(idle, 'take_thread_control').length === 1);
    await threadIs(idle, 'bot');
    await until('idle: the welcome-back', () => texts(idle).includes(WELCOME_BACK));
    expect(JSON.parse((control(idle, 'take_thread_control')[0]?.body as { metadata: string }).metadata)).toEqual({
      reason: 'inactivity_timeout',
    });
    await quiet();
    expect(control(busy, 'take_thread_control')).toHaveLength(0);
    expect((await stateOf(busy)).thread).toBe('human');

    clock = start + 30 * MIN + TIMEOUT + MIN; // past the postponed due time
    await until('busy: take_thread_control', () => control(busy, 'take_thread_control').length === 1);
    await threadIs(busy, 'bot');
    await until('busy: the welcome-back', () => texts(busy).includes(WELCOME_BACK));
    expect(await timerDue(busy)).toBeNull();
    await quiet();
    expect(control(busy, 'take_thread_control')).toHaveLength(1);
    expect(texts(busy).filter((t) => t === WELCOME_BACK)).toHaveLength(1);
  });

  it('4. an echo from the Page Inbox while the bot owns the thread pauses the bot; the next message gets no reply', async () => {
    await boot();
    await say('p4', 'hello');
    await until('the welcome', () => texts('p4').length === 2);
    await post(inboxEcho('p4', 'Hi, this is Sam from the shop.', 'messaging'));
    await threadIs('p4', 'paused');
    expect((await stateOf('p4')).threadLog.at(-1)).toMatchObject({ from: 'bot', to: 'paused', cause: 'agent_replied' });
    const { inbound } = await stateOf('p4');
    const seen = () => callsOf('p4').filter((c) => (c.body as { sender_action?: string }).sender_action === 'mark_seen').length;
    const seenBefore = seen();
    await say('p4', 'shipping');
    await until('the message applied', async () => (await stateOf('p4')).inbound === inbound + 1);
    await until('its mark_seen delivered (the outbox reached it)', () => seen() === seenBefore + 1);
    await quiet();
    expect(texts('p4')).toHaveLength(2);
    // No typing indicator at all: the welcome has no pause, and the bot says nothing while paused.
    expect(callsOf('p4').filter((c) => (c.body as { sender_action?: string }).sender_action === 'typing_on')).toHaveLength(0);
    expect((await stateOf('p4')).thread).toBe('paused');
  });

  it('5. "Handover Protocol APIs disabled": paused, agents notified once by webhook, one pass attempt only', async () => {
    const posts: Array<Record<string, unknown>> = [];
    const hook: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        posts.push({ contentType: req.headers['content-type'], ...(JSON.parse(raw) as Record<string, unknown>) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => hook.close(() => resolve())));
    await boot({ NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/agents` });
    fake.fail.handoverDisabled(true);

    await say('p5', 'talk to a person');
    await threadIs('p5', 'paused');
    expect((await stateOf('p5')).threadLog.map((t) => t.to)).toEqual(['handing_over', 'paused']);
    await until('an agent notice', () => posts.length > 0);
    await quiet();
    // The notifier posts in the background, outside the outbox: wait until it has an answer for
    // every notice the sender handed it.
    const counter = async (line: string) => {
      const found = (await get(services[0]!.port, '/metrics')).body.split('\n').find((l) => l.startsWith(`${line} `));
      return found ? Number(found.slice(line.length + 1)) : 0;
    };
    await until('every agent notice answered', async () => {
      const handed = await counter('talkshop_deliveries_total{type="notify",outcome="notified"}');
      const answered =
        (await counter('talkshop_agent_notifications_total{outcome="delivered"}')) +
        (await counter('talkshop_agent_notifications_total{outcome="failed"}'));
      return handed > 0 && answered === handed;
    });
    expect(control('p5', 'pass_thread_control')).toHaveLength(1);
    expect(control('p5', 'pass_thread_control')[0]?.response).toMatchObject({
      error: { code: 10, message: 'Handover Protocol APIs disabled for this page.' },
    });
    expect(control('p5', 'take_thread_control')).toHaveLength(0);
    // Their first message: the demo's disclosure opens the reply.
    expect(texts('p5')).toEqual([disclosed(HANDOVER_TEXT)]);
    // One notice for one request (sent when the customer asked; the failed pass adds none).
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      contentType: 'application/json',
      text: expect.stringContaining('Customer: p5 · reason: keyword'),
    });
  });

  it('6. two workers on one Redis: timeout vs a standby message for 40 users, one consistent outcome each', async () => {
    const a = await boot({}, 2);
    const b = services[1]!;
    await until(
      'both workers hold partitions',
      () => a.worker!.heldPartitions.length === 8 && b.worker!.heldPartitions.length === 8,
    );
    const users = Array.from({ length: 40 }, (_, i) => `p6-${i}`);
    await Promise.all(
      users.map(async (u, i) => {
        await say(u, 'talk to a person', services[i % 2]);
        await threadIs(u, 'human');
      }),
    );
    await until('40 timers armed', async () => (await Promise.all(users.map(timerDue))).every((d) => d === clock + TIMEOUT));
    const sentBefore = new Map(users.map((u) => [u, texts(u).length]));

    // Each worker's timer pump ticks every 500 ms per partition: a burst of 40 posts lands between
    // two ticks, so the messages are spread over ~1 s (still overlapping) to put users on both sides.
    clock += TIMEOUT + MIN;
    await Promise.all(
      users.map(async (u, i) => {
        await new Promise((r) => setTimeout(r, i * 25));
        await post(standbyText(u, 'are you still there?'), services[(i + 1) % 2]);
      }),
    );
    const finished = async () => {
      const states = await Promise.all(users.map(stateOf));
      if (!states.every((s) => s.transcript.some((t) => t.text === 'are you still there?'))) return false;
      const dues = await Promise.all(users.map(timerDue));
      if (dues.some((d) => d !== null && d <= clock)) return false; // a due timer not yet fired
      return isSettled(a.store, partitionsUpTo(config.INBOX_PARTITIONS));
    };
    await until('every item and effect applied', finished);

    const outcomes = await Promise.all(
      users.map(async (u) => {
        const s = await stateOf(u);
        const later = texts(u).slice(sentBefore.get(u));
        const takes = control(u, 'take_thread_control').length;
        const due = await timerDue(u);
        const welcomeBacks = later.filter((t) => t === WELCOME_BACK).length;
        const flowReplies = later.length - welcomeBacks;
        if (s.thread === 'human' && s.timer !== null && due === s.timer.dueAt && takes === 0 && later.length === 0)
          return 'message won';
        if (
          s.thread === 'bot' &&
          !s.takePending &&
          s.timer === null &&
          due === null &&
          takes === 1 &&
          welcomeBacks === 1 &&
          flowReplies === 0
        )
          return 'timer won';
        return `INCONSISTENT ${u}: thread=${s.thread} timer=${s.timer ? 'armed' : 'none'} Meta owner=${fake.threadOwnerOf(u)} takes=${takes} sent=${JSON.stringify(later)} log=${s.threadLog
          .slice(-3)
          .map((t) => `${t.from}>${t.to}:${t.cause}`)
          .join(',')}`;
      }),
    );
    const count = (prefix: string) => outcomes.filter((o) => o.startsWith(prefix)).length;
    console.log(
      `handover race over 40 users: message won ${count('message won')}, timer won ${count('timer won')}, inconsistent ${count('INCONSISTENT')}`,
    );
    // When the timer wins, the standby message was written before Meta confirmed our take: late
    // news, recorded in the transcript, and the bot keeps the thread (it must not fall silent).
    expect(outcomes.filter((o) => o.startsWith('INCONSISTENT'))).toEqual([]);
  });

  it('7. agent reply via the admin API on Redis: HUMAN_AGENT at 30 h, 409 at 8 days, 401 without the token', async () => {
    await boot();
    const start = clock;
    await say('p7', 'hello');
    await until('the welcome', () => texts('p7').length === 2);
    clock = start + 30 * HOUR;
    expect((await admin('POST', '/users/p7/messages', { text: 'Hi, Anna from Northwind here.' }, null)).status).toBe(401);
    expect(
      (await admin('POST', '/users/p7/messages', { text: 'Hi, Anna from Northwind here.' }, 'wrong-token-0123456789')).status,
    ).toBe(401);
    const ok = await admin('POST', '/users/p7/messages', { text: 'Hi, Anna from Northwind here.' });
    expect(ok.status).toBe(202);
    await until('the agent reply', () => texts('p7').length === 3);
    expect(fake.sentMessages('p7').at(-1)?.body).toMatchObject({
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Hi, Anna from Northwind here.' },
    });
    expect(await stateOf('p7')).toMatchObject({ thread: 'paused' });
    clock = start + 8 * DAY;
    const late = await admin('POST', '/users/p7/messages', { text: 'Still there?' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      error: 'human_agent_window_closed',
      message: expect.stringContaining('up to 7 days'),
    });
    await quiet();
    expect(texts('p7')).toHaveLength(3);
  });
});
