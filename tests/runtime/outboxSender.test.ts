import { textMessageBody } from '../../src/cli/sendEvent';
import { FAKE_ERRORS, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { decodeUserState } from '../../src/engine/userState';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { partitionsUpTo, settled } from '../support/settled';
import { get, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';
import { disclosed } from '../support/demoDisclosure';

/** The sender end to end: webhook → engine → outbox → sender → fake Graph API (memory store). */
let fake: FakeGraphApi;
let service: RunningService;
let clock = Date.now();
let mids = 0;

beforeEach(async () => {
  fake = await startTestGraphApi();
  clock = Date.now();
  service = await startService(testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url }), { now: () => clock });
});
afterEach(async () => {
  await service.stop();
  await fake.stop();
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_sender_${++mids}`));
const texts = (psid: string) =>
  fake.sentMessages(psid).flatMap((c) => {
    const m = (c.body as { message?: { text?: string } }).message;
    return c.status === 200 && m?.text ? [m.text] : [];
  });
/** The user's Graph calls that reached the fake, in order: sender actions by name, else the endpoint. */
const actionsOf = (psid: string) =>
  fake.calls
    .filter((c) => c.recipientId === psid && c.status === 200 && c.endpoint !== 'user_profile')
    .map((c) => (c.endpoint === 'sender_action' ? (c.body as { sender_action: string }).sender_action : c.endpoint));
/** true when /metrics has the line, else undefined (so waitFor keeps waiting). */
const metric = async (line: string) => ((await get(service.port, '/metrics')).body.includes(line) ? true : undefined);

describe('outbox sender', () => {
  it("marks seen, then sends the replies in the engine's order as RESPONSE, once: one call per message", async () => {
    await say('u1', 'hello');
    await waitFor('two replies', () => (texts('u1').length >= 2 ? true : undefined));
    expect(actionsOf('u1')).toEqual(['mark_seen', 'messages', 'messages']);
    // The profile (first name) is fetched before the engine runs, so the first reply greets by name.
    expect(texts('u1')).toEqual([
      disclosed('Hi Sam! Welcome to Northwind Outfitters 👟 What can I do for you?'),
      'Pick one, or just type your question.',
    ]);
    expect(fake.calls.filter((c) => c.endpoint === 'user_profile' && c.recipientId === 'u1')).toHaveLength(1);
    expect(fake.sentMessages('u1').every((c) => (c.body as { messaging_type: string }).messaging_type === 'RESPONSE')).toBe(true);
    await waitFor('the outbox recorded as delivered', () => metric('talkshop_deliveries_total{type="send",outcome="sent"} 2'));
  });

  it('a lone user in a quiet moment gets the seen marker, and typing only where the flow pauses', async () => {
    await say('quiet', 'hello');
    await waitFor('the welcome', () => (texts('quiet').length >= 2 ? true : undefined));
    await say('quiet', 'shoes'); // asks the size
    await waitFor('the size question', () => (fake.sentMessages('quiet').length >= 3 ? true : undefined));
    await say('quiet', '42'); // shoes_in_size pauses (typing: 800) before its text and carousel
    await waitFor('the carousel and what next', () => (fake.sentMessages('quiet').length >= 6 ? true : undefined));
    expect(actionsOf('quiet')).toEqual([
      ...['mark_seen', 'messages', 'messages'],
      ...['mark_seen', 'messages'],
      ...['mark_seen', 'typing_on', 'messages', 'messages', 'messages'],
    ]);
    await waitFor('both cosmetics counted as sent', () => metric('talkshop_deliveries_total{type="typing",outcome="sent"} 1'));
  });

  it('fetches the profile once; a failed lookup falls back to the declared default', async () => {
    fake.fail.recipient('private', FAKE_ERRORS.permission, { endpoints: ['user_profile'] });
    await say('private', 'hello');
    await waitFor('the welcome', () => (texts('private').length >= 2 ? true : undefined));
    expect(texts('private')[0]).toBe(disclosed('Hi there! Welcome to Northwind Outfitters 👟 What can I do for you?'));
    await say('u2', 'hello');
    await say('u2', 'menu');
    await waitFor('three replies', () => (texts('u2').length >= 3 ? true : undefined));
    expect(fake.calls.filter((c) => c.endpoint === 'user_profile' && c.recipientId === 'u2')).toHaveLength(1);
  });

  it('551: marks the user unreachable and sends them nothing more', async () => {
    // Meta refuses everything for a person who blocked the Page, starting with our mark_seen.
    fake.fail.recipient('gone', FAKE_ERRORS.unavailable);
    await say('gone', 'hello');
    await waitFor('the 551 answer', () => metric('talkshop_deliveries_total{type="mark_seen",outcome="unreachable"} 1'));
    await waitFor('both replies refused by policy', () =>
      metric('talkshop_deliveries_total{type="send",outcome="refused_unreachable"} 2'),
    );
    await say('gone', 'menu');
    await waitFor('the next replies refused too', () =>
      metric('talkshop_deliveries_total{type="send",outcome="refused_unreachable"} 3'),
    );
    expect(fake.calls.filter((c) => c.recipientId === 'gone' && c.endpoint === 'messages')).toHaveLength(0);
  });

  it('2018278: recorded as outside the window and never retried', async () => {
    fake.fail.recipient('late', FAKE_ERRORS.outsideWindow, { times: 1, endpoints: ['messages'] });
    await say('late', 'hello');
    await waitFor('both replies finished', async () =>
      (await metric('talkshop_deliveries_total{type="send",outcome="outside_window"} 1')) && texts('late').length === 1
        ? true
        : undefined,
    );
    await waitFor('the second reply sent', () => metric('talkshop_deliveries_total{type="send",outcome="sent"} 1'));
    expect(fake.calls.filter((c) => c.recipientId === 'late' && c.endpoint === 'messages')).toHaveLength(2);
  });

  it('transient 500s are retried with backoff until they succeed', async () => {
    fake.fail.recipient('flaky', FAKE_ERRORS.transient, { times: 2, endpoints: ['messages'] });
    await say('flaky', 'hello');
    await waitFor('both replies sent', () => (texts('flaky').length === 2 ? true : undefined));
    expect(await metric('talkshop_graph_errors_total{class="retryable"} 2')).toBe(true);
  });

  it('613: the whole page backs off, then resumes and delivers everything', async () => {
    fake.fail.pageRateLimit(1500);
    await say('busy', 'hello');
    await waitFor('the replies after the back-off', () => (texts('busy').length === 2 ? true : undefined));
    expect(await metric('talkshop_graph_errors_total{class="rate_limited"}')).toBe(true);
  });

  describe('handover', () => {
    const threadOf = async (psid: string) =>
      decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data)
        .thread;
    const passes = (psid: string) => fake.calls.filter((c) => c.recipientId === psid && c.endpoint === 'thread_control');

    it('"talk to a person": the message, then pass_thread_control to the Page Inbox with metadata; state human', async () => {
      await say('h1', 'hello');
      await say('h1', 'talk to a person');
      await waitFor('state human', async () => ((await threadOf('h1')) === 'human' ? true : undefined));
      const [pass] = passes('h1');
      expect(pass?.body).toMatchObject({
        target_app_id: '263902037430900',
        metadata: expect.stringContaining('"reason":"keyword"'),
      });
      expect(texts('h1').at(-1)).toBe('Connecting you with a person. They will reply here.');
    });

    it('"Handover Protocol APIs disabled": the bot pauses itself, agents are notified, no retry storm', async () => {
      fake.fail.handoverDisabled(true, { passAndReleaseStillWork: false });
      await say('h2', 'talk to a person');
      await waitFor('state paused', async () => ((await threadOf('h2')) === 'paused' ? true : undefined));
      await settled(service.store, partitionsUpTo(16));
      expect(passes('h2')).toHaveLength(1);
      expect(await metric('talkshop_deliveries_total{type="handover",outcome="handover_disabled"} 1')).toBe(true);
    });
  });

  it('inactivity timeout (fake clock): the bot takes the thread back and says so', async () => {
    await say('t1', 'talk to a person');
    const threadOf = async (psid: string) =>
      decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data)
        .thread;
    await waitFor('state human', async () => ((await threadOf('t1')) === 'human' ? true : undefined));
    clock += 2 * 3600_000 + 60_000; // past the 120-minute default, still inside the 24 h window
    await waitFor('take_thread_control', () =>
      fake.calls.some((c) => c.recipientId === 't1' && c.path.endsWith('take_thread_control')) ? true : undefined,
    );
    await waitFor('state bot', async () => ((await threadOf('t1')) === 'bot' ? true : undefined));
    await waitFor('the welcome-back', () => (texts('t1').some((t) => t.includes('automated assistant')) ? true : undefined));
  });

  it('a take Meta refuses for good is reported once, so the state does not wait for it forever', async () => {
    await say('t2', 'talk to a person');
    const stateOf = async (psid: string) =>
      decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data);
    await waitFor('state human', async () => ((await stateOf('t2')).thread === 'human' ? true : undefined));
    fake.fail.handoverDisabled(true); // the take is now answered with code 10
    clock += 2 * 3600_000 + 60_000;
    await waitFor('the take reported', async () => {
      const s = await stateOf('t2');
      return s.thread === 'bot' && !s.takePending && s.controlSince !== null ? true : undefined;
    });
    expect(fake.calls.filter((c) => c.recipientId === 't2' && c.path.endsWith('take_thread_control'))).toHaveLength(1);
    expect(await metric('talkshop_deliveries_total{type="handover",outcome="take_failed"} 1')).toBe(true);
  });

  it("under Graph latency several users are served at once, each user's messages still in order", async () => {
    fake.fail.latency(60);
    // Users of one partition: partitions always run side by side; this is about one partition's sender.
    const same = partitionOf(TEST_PAGE, 'lat0', 16);
    const users = Array.from({ length: 400 }, (_, i) => `lat${i}`)
      .filter((u) => partitionOf(TEST_PAGE, u, 16) === same)
      .slice(0, 6);
    expect(users).toHaveLength(6);
    await Promise.all(users.map((u) => say(u, 'hello')));
    await waitFor('every welcome', () => (users.every((u) => texts(u).length === 2) ? true : undefined));
    for (const u of users)
      expect(texts(u)).toEqual([
        disclosed('Hi Sam! Welcome to Northwind Outfitters 👟 What can I do for you?'),
        'Pick one, or just type your question.',
      ]);
    // Served concurrently: some user's first reply went out before another user's last one (one
    // partition's sender working user after user would never overlap them).
    const spans = users.map((u) => fake.sentMessages(u).map((c) => c.at));
    const overlaps = spans.some((a, i) =>
      spans.some((b, j) => i !== j && (a[0] as number) < (b.at(-1) as number) && (b[0] as number) < (a.at(-1) as number)),
    );
    expect(overlaps).toBe(true);
  });
});
