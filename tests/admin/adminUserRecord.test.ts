/**
 * Export and delete through the admin API (#10, scope 2), on the in-memory store: operators only,
 * one audit line each, and the erase ordered with the customer's conversation (it travels through
 * their inbox lane, so a message that arrived before it is applied first, and erased with the rest).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const OPERATOR = 'operator-token-0123456789ab';
const TOKENS = `anna:agent:${AGENT},mark:marketer:${MARKETER},olga:operator:${OPERATOR}`;
const PSID = 'user-record-5521';

const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
let service: RunningService;
let mids = 0;

beforeAll(async () => {
  const config = testConfig({ REDIS_URL: undefined, ADMIN_TOKENS: TOKENS, ADMIN_PORT: '0' });
  service = await startService(config, { logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await service.stop();
});

const admin = (method: string, path: string, token: string) =>
  fetch(`http://127.0.0.1:${service.adminPort}/admin${path}`, { method, headers: { authorization: `Bearer ${token}` } });
const say = async (text: string) => {
  const res = await postSigned(service.port, textMessageBody(TEST_PAGE, PSID, text, Date.now(), `m_record_${++mids}`));
  expect(res.status).toBe(200);
};
const partition = () => partitionOf(TEST_PAGE, PSID, 16);
const userKey = userKeyOf(TEST_PAGE, PSID);
const audits = (action: string) => logLines.filter((l) => l.audit === true && l.action === action);

describe('export and delete through the admin API', () => {
  it('is for operators only: agents and marketers get 403, and each refusal is audited', async () => {
    for (const token of [AGENT, MARKETER]) {
      expect((await admin('GET', `/users/${PSID}/export`, token)).status).toBe(403);
      expect((await admin('DELETE', `/users/${PSID}`, token)).status).toBe(403);
    }
    expect(audits('exportUser').map((l) => [l.token, l.status])).toEqual([
      ['anna', 403],
      ['mark', 403],
    ]);
    expect((await admin('DELETE', '/users/not%20a%20psid', OPERATOR)).status).toBe(400);
  });

  it('exports the whole record, then erases it in the lane: the message before the erase is erased too', async () => {
    await say('hello');
    await waitFor('the first message applied', async () =>
      (await service.store.states.load(partition(), userKey)).version > 0 ? true : undefined,
    );
    const exported = await admin('GET', `/users/${PSID}/export`, OPERATOR);
    expect(exported.status).toBe(200);
    const record = (await exported.json()) as { version: number; state: { transcript: Array<{ text: string }> } };
    expect(record).toMatchObject({ psid: PSID, version: 1, broadcastsReceived: [], forgottenAt: null });
    expect(record.state.transcript.map((t) => t.text)).toContain('hello');

    // A message, and the erase right behind it: the lane applies the message first.
    await say('my email is sam@example.com');
    const deleted = await admin('DELETE', `/users/${PSID}`, OPERATOR);
    expect(deleted.status).toBe(202);
    expect(await deleted.json()).toEqual({ queued: 'forget', known: true });
    await waitFor('the tombstone', async () => (await service.store.states.forgottenAt(partition(), userKey)) ?? undefined);
    await waitFor('the inbox drained', async () =>
      (await service.store.inbox.pendingCounts([partition()]))[0] === 0 ? true : undefined,
    );
    expect(await service.store.states.load(partition(), userKey)).toEqual({ version: 0, data: null });
    expect(await service.store.states.userOutbox(partition(), userKey)).toEqual([]);

    const after = (await (await admin('GET', `/users/${PSID}/export`, OPERATOR)).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ version: 0, state: null, outbox: [], timers: [], setAside: [] });
    expect(typeof after.forgottenAt).toBe('number');

    // One audit line per action, naming who and whom; never a message text.
    expect(
      audits('exportUser')
        .filter((l) => l.token === 'olga')
        .map((l) => [l.psid, l.status]),
    ).toEqual([
      [PSID, 200],
      [PSID, 200],
    ]);
    expect(
      audits('forgetUser')
        .filter((l) => l.token === 'olga')
        .map((l) => [l.psid, l.role, l.status]),
    ).toEqual([
      ['not a psid', 'operator', 400],
      [PSID, 'operator', 202],
    ]);
    expect(JSON.stringify(logLines)).not.toContain('sam@example.com');
  });

  it('orders the erase between what came before and after it: the message after it starts a new conversation', async () => {
    const other = 'user-record-7730';
    const at = { partition: partitionOf(TEST_PAGE, other, 16), userKey: userKeyOf(TEST_PAGE, other) };
    const sayAs = async (text: string) =>
      expect(
        (await postSigned(service.port, textMessageBody(TEST_PAGE, other, text, Date.now(), `m_record_${++mids}`))).status,
      ).toBe(200);
    await sayAs('before the erase');
    expect((await admin('DELETE', `/users/${other}`, OPERATOR)).status).toBe(202);
    await sayAs('after the erase');
    await waitFor('the tombstone', async () => (await service.store.states.forgottenAt(at.partition, at.userKey)) ?? undefined);
    const state = await waitFor('the new conversation', async () => {
      const s = await service.store.states.load(at.partition, at.userKey);
      return s.version > 0 ? s : undefined;
    });
    expect(state.version).toBe(1);
    const texts = (state.data as { transcript: Array<{ text: string }> }).transcript.map((t) => t.text);
    expect(texts).toContain('after the erase');
    expect(texts).not.toContain('before the erase');
  });
});
