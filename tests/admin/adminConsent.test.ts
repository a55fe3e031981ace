import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

/** POST /admin/users/:psid/consent, end to end: the request, the user's lane, the engine, the ledger. */
const MARKETER = 'marketer-token-0123456789';
const AGENT = 'agent-token-0123456789ab';
const clock = Date.UTC(2026, 10, 23, 12);
let fake: FakeGraphApi;
let service: RunningService;

beforeAll(async () => {
  fake = await startTestGraphApi();
  service = await startService(
    testConfig({
      REDIS_URL: undefined,
      GRAPH_API_URL: fake.url,
      ADMIN_TOKENS: `mark:marketer:${MARKETER},anna:agent:${AGENT}`,
      ADMIN_PORT: '0',
    }),
    { now: () => clock },
  );
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
});

const admin = (path: string, body: unknown, token = MARKETER) =>
  fetch(`http://127.0.0.1:${service.adminPort}/admin${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
const stateOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid))).data);

describe('POST /admin/users/:psid/consent', () => {
  it("records the change in the user's ledger with source admin:<token name> and the request as cause", async () => {
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'k1', 'hello', clock, 'm_consent_1'));
    await waitFor('k1 known', async () => ((await stateOf('k1')).inbound > 0 ? true : undefined));

    const res = await admin('/users/k1/consent', { topic: 'news', subscribed: true });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ queued: 'consent', topic: 'news', subscribed: true, source: 'admin:mark' });
    const requestId = res.headers.get('x-request-id');
    const s = await waitFor('the consent applied', async () => {
      const st = await stateOf('k1');
      return st.consent.news ? st : undefined;
    });
    expect(s.consent.news).toEqual({ subscribed: true, at: clock, source: 'admin:mark' });
    expect(s.consentLedger).toEqual([
      { at: clock, topic: 'news', subscribed: true, source: 'admin:mark', cause: `request:${requestId}` },
    ]);

    expect((await admin('/users/k1/consent', { topic: 'news', subscribed: false })).status).toBe(202);
    const after = await waitFor('the withdrawal applied', async () => {
      const st = await stateOf('k1');
      return st.consent.news?.subscribed === false ? st : undefined;
    });
    expect(after.consentLedger.map((e) => [e.subscribed, e.source])).toEqual([
      [true, 'admin:mark'],
      [false, 'admin:mark'],
    ]);
    // The sender counts each consent effect by source kind and direction (no topic label).
    const metrics = () => fetch(`http://127.0.0.1:${service.adminPort}/metrics`).then((r) => r.text());
    await waitFor('consent changes counted', async () =>
      /talkshop_consent_changes_total\{source="admin",direction="unsubscribed"\} 1/.test(await metrics()) ? true : undefined,
    );
    expect(await metrics()).toMatch(/talkshop_consent_changes_total\{source="admin",direction="subscribed"\} 1/);
  });

  it('refuses an agent (403), a bad body (400, naming the field) and an unknown user (404)', async () => {
    expect((await admin('/users/k1/consent', { topic: 'news', subscribed: true }, AGENT)).status).toBe(403);
    const noFlag = await admin('/users/k1/consent', { topic: 'news' });
    expect(noFlag.status).toBe(400);
    expect(await noFlag.json()).toMatchObject({ field: 'subscribed' });
    const emptyTopic = await admin('/users/k1/consent', { topic: ' ', subscribed: true });
    expect(await emptyTopic.json()).toMatchObject({ field: 'topic' });
    expect((await admin('/users/k1/consent', { topic: 'news', subscribed: true, extra: 1 })).status).toBe(400);
    expect((await admin('/users/nobody/consent', { topic: 'news', subscribed: true })).status).toBe(404);
  });
});
