import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { partitionsUpTo, settled } from '../support/settled';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

const TOKEN = 'admin-token-0123456789';
const HOUR = 3600_000;
let clock = Date.UTC(2026, 10, 23, 12);
let fake: FakeGraphApi;
let service: RunningService;
let mids = 0;

beforeAll(async () => {
  fake = await startTestGraphApi();
  service = await startService(
    testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0' }),
    {
      now: () => clock,
    },
  );
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_admin_${++mids}`));
const admin = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
  fetch(`http://127.0.0.1:${service.adminPort}/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
const threadOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data).thread;
const messages = (psid: string) =>
  fake
    .sentMessages(psid)
    .filter((c) => c.status === 200)
    .map((c) => c.body as { messaging_type: string; tag?: string; message: { text?: string } });

describe('admin API', () => {
  it('refuses requests without the token (401) and names the bad field (400)', async () => {
    expect((await admin('GET', '/users/x', undefined, null)).status).toBe(401);
    expect((await admin('GET', '/users/x', undefined, 'wrong-token-0123456789')).status).toBe(401);
    const bad = await admin('POST', '/users/someone/messages', { text: '' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'text' });
    const notJson = await admin('POST', '/users/someone/messages', '{"text":');
    expect(notJson.status).toBe(400);
    expect((await admin('GET', '/users/bad%20psid')).status).toBe(400);
    expect((await admin('GET', '/users/nobody')).status).toBe(404);
  });

  it("a person's reply at 30 h goes out as MESSAGE_TAG HUMAN_AGENT; at 8 days it is refused with a clear error", async () => {
    await say('a1', 'hello');
    await waitFor('the welcome', () => (messages('a1').length >= 2 ? true : undefined));
    clock += 30 * HOUR;
    const ok = await admin('POST', '/users/a1/messages', { text: 'Hi, Anna from Northwind here.' });
    expect(ok.status).toBe(202);
    await waitFor('the agent reply', () => (messages('a1').length >= 3 ? true : undefined));
    expect(messages('a1').at(-1)).toMatchObject({
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      message: { text: 'Hi, Anna from Northwind here.' },
    });
    const user = (await (await admin('GET', '/users/a1')).json()) as {
      thread: string;
      transcript: Array<{ from: string; text: string }>;
    };
    expect(user.thread).toBe('paused');
    expect(user.transcript.at(-1)).toMatchObject({ from: 'agent', text: 'Hi, Anna from Northwind here.' });
    clock += 7 * 24 * HOUR;
    const late = await admin('POST', '/users/a1/messages', { text: 'Still there?' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({
      error: 'human_agent_window_closed',
      message: expect.stringContaining('up to 7 days'),
    });
  });

  it('pause silences the bot for that user; resume brings it back with a welcome-back', async () => {
    await say('b1', 'hello');
    await waitFor('the welcome', () => (messages('b1').length >= 2 ? true : undefined));
    expect((await admin('POST', '/users/b1/pause')).status).toBe(202);
    await waitFor('paused', async () => ((await threadOf('b1')) === 'paused' ? true : undefined));
    await say('b1', 'hi');
    await settled(service.store, partitionsUpTo(16), "b1's message applied and its effects delivered");
    expect(messages('b1')).toHaveLength(2);
    expect((await admin('POST', '/users/b1/resume')).status).toBe(202);
    await waitFor('the welcome-back', () => (messages('b1').length >= 3 ? true : undefined));
    expect(messages('b1').at(-1)?.message.text).toContain('automated assistant');
    expect(await threadOf('b1')).toBe('bot');
  });

  it('lists threads by state, longest waiting first, with the waiting time; they leave the list on resume', async () => {
    type Listed = {
      count: number;
      threads: Array<{ psid: string; state: string; waitingMs: number; since: number; waitingSince: number | null }>;
    };
    const list = async (query = '') => (await (await admin('GET', `/threads${query}`)).json()) as Listed;
    const mine = (l: Listed) => l.threads.filter((t) => t.psid.startsWith('c'));
    await say('c1', 'talk to a person');
    await waitFor('c1 human', async () => ((await threadOf('c1')) === 'human' ? true : undefined));
    clock += 10 * 60_000;
    await say('c2', 'hello');
    await waitFor('the welcome', () => (messages('c2').length >= 2 ? true : undefined));
    expect((await admin('POST', '/users/c2/pause')).status).toBe(202);
    await waitFor('c2 paused', async () => ((await threadOf('c2')) === 'paused' ? true : undefined));
    clock += 5 * 60_000;

    expect(mine(await list()).map((t) => [t.psid, t.state, t.waitingMs])).toEqual([
      ['c1', 'human', 15 * 60_000],
      ['c2', 'paused', 5 * 60_000],
    ]);
    expect(mine(await list('?state=human')).map((t) => t.psid)).toEqual(['c1']);
    // A person answers c1: c1 is no longer waiting and moves behind c2, who still is.
    expect((await admin('POST', '/users/c1/messages', { text: 'Hi, this is Anna.' })).status).toBe(202);
    await waitFor('c1 answered', async () => (mine(await list())[0]?.psid === 'c2' ? true : undefined));
    expect(mine(await list()).map((t) => [t.psid, t.state, t.waitingMs, t.waitingSince])).toEqual([
      ['c2', 'paused', 5 * 60_000, clock - 5 * 60_000],
      ['c1', 'human', 0, null],
    ]);
    expect((await list('?state=human,paused&limit=1')).threads).toHaveLength(1);
    const bad = await admin('GET', '/threads?state=bot');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'state' });
    expect((await admin('GET', '/threads?limit=0')).status).toBe(400);
    expect((await admin('GET', '/threads', undefined, null)).status).toBe(401);

    expect((await admin('POST', '/users/c2/resume')).status).toBe(202);
    await waitFor('c2 off the list', async () => (mine(await list()).length === 1 ? true : undefined));
  });
});
