/**
 * The admin API's broadcast routes against a real service on the in-memory store (its worker
 * runs the fan-out and the sender, the fake Graph API answers): marketers create (the linter's
 * problems as a 400, an id used twice as a 409), list, read the grouped report of a real send,
 * pause/resume/cancel with the moves the lifecycle allows, and test-send; agents may not.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const TOKENS = `anna:agent:${AGENT},mark:marketer:${MARKETER}`;
const clock = Date.UTC(2026, 10, 23, 12);
const LATER = '2026-11-24T09:00:00Z';

const auditLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.audit === true) auditLines.push(parsed);
    }
    done();
  },
});

interface Started {
  readonly fake: FakeGraphApi;
  readonly service: RunningService;
}
async function start(env: Record<string, string> = {}, adAccountIds: string[] = []): Promise<Started> {
  const fake = await startTestGraphApi({ adAccountIds });
  const config = testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url, ADMIN_TOKENS: TOKENS, ADMIN_PORT: '0', ...env });
  const service = await startService(config, { now: () => clock, logger: pino({ level: 'info' }, sink) });
  return { fake, service };
}
const stop = async (s: Started) => {
  await s.service.stop();
  await s.fake.stop();
};

const call = async (s: Started, method: string, path: string, body?: unknown, token = MARKETER) => {
  const res = await fetch(`http://127.0.0.1:${s.service.adminPort}/admin${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const definition = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Broadcast ${id}`,
  kind: 'tagged',
  tag: 'ACCOUNT_UPDATE',
  audience: { where: ['tag!=nobody-has-this'] },
  messages: [{ text: 'Your account settings were updated.' }],
  ...extra,
});

describe('admin broadcast routes', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => {
    await stop(s);
  });

  it('agents may not call them (403); a bad id or body is a 400 naming the field', async () => {
    const agent = await call(s, 'GET', '/broadcasts', undefined, AGENT);
    expect(agent.status).toBe(403);
    expect(agent.body.needs).toEqual(['marketer', 'operator']);
    expect((await call(s, 'POST', '/broadcasts', { definition: definition('x') }, AGENT)).status).toBe(403);
    expect(await call(s, 'GET', '/broadcasts/Not_A_Slug')).toMatchObject({ status: 400, body: { field: 'id' } });
    expect(await call(s, 'POST', '/broadcasts', { spec: {} })).toMatchObject({ status: 400 });
    expect(await call(s, 'POST', '/broadcasts', { definition: 42 })).toMatchObject({
      status: 400,
      body: { field: 'definition' },
    });
    expect(await call(s, 'GET', '/broadcasts?limit=0')).toMatchObject({ status: 400, body: { field: 'limit' } });
    expect((await call(s, 'GET', '/broadcasts/no-such-one')).status).toBe(404);
    expect((await call(s, 'POST', '/broadcasts/no-such-one/pause')).status).toBe(404);
  });

  it("refuses an invalid definition with the linter's problems (HUMAN_AGENT, marketing_message without an ad account, YAML line)", async () => {
    const human = await call(s, 'POST', '/broadcasts', { definition: definition('human', { tag: 'HUMAN_AGENT' }) });
    expect(human.status).toBe(400);
    expect(human.body.error).toBe('invalid_broadcast');
    const problems = human.body.problems as Array<{ file: string; line?: number; message: string; fix: string }>;
    expect(problems[0]).toMatchObject({ file: 'request body "definition"', line: 5 });
    expect(problems[0]?.message).toContain('HUMAN_AGENT is not allowed on a broadcast');
    expect(problems[0]?.fix).toBeTruthy();

    const marketing = await call(s, 'POST', '/broadcasts', {
      definition: definition('mm', { kind: 'marketing_message', tag: undefined, topic: 'offers' }),
    });
    expect(marketing.status).toBe(400);
    expect(JSON.stringify(marketing.body.problems)).toContain('MARKETING_AD_ACCOUNT_ID is not set');

    const yaml =
      'id: bad-yaml\nname: Bad\nkind: promotional\ntopic: offers\naudience: { where: ["window=open"] }\nmessages:\n  - tex: hi\n';
    const badYaml = await call(s, 'POST', '/broadcasts', { definition: yaml });
    expect(badYaml.status).toBe(400);
    expect((badYaml.body.problems as Array<{ line?: number }>)[0]?.line).toBe(7);
    expect((await call(s, 'GET', '/broadcasts/human')).status).toBe(404);
  });

  it('creates (201, audited), refuses the same id again (409), and pause/resume/cancel move only as the lifecycle allows', async () => {
    const created = await call(s, 'POST', '/broadcasts', { definition: definition('later', { at: LATER }) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'later', status: 'scheduled', createdBy: 'mark', kind: 'tagged', warnings: [] });
    expect(auditLines.find((l) => l.action === 'createBroadcast' && l.broadcast === 'later')).toMatchObject({
      token: 'mark',
      broadcast: 'later',
      status: 201,
    });

    expect(await call(s, 'POST', '/broadcasts', { definition: definition('later') })).toMatchObject({
      status: 409,
      body: { error: 'exists' },
    });
    expect(await call(s, 'POST', '/broadcasts/later/resume')).toMatchObject({ status: 409, body: { status: 'scheduled' } });
    expect(await call(s, 'POST', '/broadcasts/later/pause')).toMatchObject({ status: 200, body: { status: 'paused' } });
    expect(await call(s, 'POST', '/broadcasts/later/pause')).toMatchObject({ status: 409, body: { error: 'not_allowed' } });
    // Its time has not come, so a resumed broadcast is scheduled again.
    expect(await call(s, 'POST', '/broadcasts/later/resume')).toMatchObject({ status: 200, body: { status: 'scheduled' } });
    expect(await call(s, 'POST', '/broadcasts/later/cancel')).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    const again = await call(s, 'POST', '/broadcasts/later/cancel');
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('cannot be cancelled');
    expect(auditLines.filter((l) => l.broadcast === 'later').map((l) => [l.action, l.status])).toEqual([
      ['createBroadcast', 201],
      ['createBroadcast', 409],
      ['resumeBroadcast', 409],
      ['pauseBroadcast', 200],
      ['pauseBroadcast', 409],
      ['resumeBroadcast', 200],
      ['cancelBroadcast', 200],
      ['cancelBroadcast', 409],
    ]);
  });

  it('sends to the audience and reports the counters grouped, with progress and rates; the list shows it newest first', async () => {
    for (const psid of ['br-1', 'br-2'])
      expect((await postSigned(s.service.port, textMessageBody(TEST_PAGE, psid, 'hi', clock, `m_${psid}`))).status).toBe(200);
    await waitFor('both users stored', () =>
      s.fake.sentMessages('br-1').length > 0 && s.fake.sentMessages('br-2').length > 0 ? true : undefined,
    );

    const yaml = `id: now-update\nname: Now\nkind: tagged\ntag: ACCOUNT_UPDATE\naudience:\n  where: ["tag!=x"]\nmessages:\n  - text: Your account was updated.\n`;
    expect((await call(s, 'POST', '/broadcasts', { definition: yaml })).status).toBe(201);
    const report = await waitFor('both sent', async () => {
      const r = await call(s, 'GET', '/broadcasts/now-update');
      return (r.body.progress as { finished: boolean }).finished ? r.body : undefined;
    });
    expect(report).toMatchObject({
      id: 'now-update',
      status: 'done',
      counts: { targeted: 2, queued: 2, sent: 2, skipped: {}, failed: {}, repeat: 0 },
      progress: { partitionsWalked: 16, partitions: 16, inFlight: 0, finished: true },
      rates: { delivered: 0, read: 0, clicked: 0, replied: 0 },
    });
    for (const psid of ['br-1', 'br-2'])
      expect(s.fake.sentMessages(psid).some((c) => JSON.stringify(c.body).includes('Your account was updated.'))).toBe(true);

    const list = await call(s, 'GET', '/broadcasts');
    expect(list.status).toBe(200);
    const listed = list.body.broadcasts as Array<{ id: string; status: string; counts: { sent: number } }>;
    expect(listed.map((b) => b.id)).toEqual(['now-update', 'later']);
    expect(listed[0]).toMatchObject({ status: 'done', counts: { sent: 2 } });
    expect(listed[1]).toMatchObject({ status: 'cancelled' });
  });

  it("reads a flow's funnel: users reaching each node per day, in the flow's order", async () => {
    const r = await call(s, 'GET', '/funnels/shop?days=2');
    expect(r.status).toBe(200);
    expect(r.body.days).toEqual(['2026-11-22', '2026-11-23']);
    const nodes = r.body.nodes as Array<{ node: string; perDay: Record<string, number>; total: number }>;
    expect(nodes[0]?.node).toBe('welcome'); // the flow's first node first
    // br-1 and br-2 said hi (the welcome, then the menu): each counted once.
    expect(nodes.find((n) => n.node === 'welcome')).toMatchObject({ perDay: { '2026-11-23': 2 }, total: 2 });
    expect((await call(s, 'GET', '/funnels/shop?days=0')).status).toBe(400);
    expect((await call(s, 'GET', '/funnels/shop', undefined, AGENT)).status).toBe(403);
  });

  it('test-sends to the given PSIDs (202), or asks for them when the definition has none (400)', async () => {
    expect(await call(s, 'POST', '/broadcasts/now-update/test')).toMatchObject({ status: 400, body: { field: 'psids' } });
    expect(await call(s, 'POST', '/broadcasts/now-update/test', { psids: ['bad psid'] })).toMatchObject({ status: 400 });
    const before = s.fake.sentMessages('br-1').length;
    expect(await call(s, 'POST', '/broadcasts/now-update/test', { psids: ['br-1'] })).toMatchObject({
      status: 202,
      body: { queued: 'test', psids: ['br-1'] },
    });
    await waitFor('the test send', () => (s.fake.sentMessages('br-1').length > before ? true : undefined));
    // Counted nowhere.
    expect(((await call(s, 'GET', '/broadcasts/now-update')).body.counts as { sent: number }).sent).toBe(2);
  });
});

describe('admin broadcast routes with an ad account', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({ MARKETING_AD_ACCOUNT_ID: 'act_123456' }, ['123456']);
  });
  afterAll(async () => {
    await stop(s);
  });

  it('creates a marketing_message broadcast with its campaign made at Meta', async () => {
    const created = await call(s, 'POST', '/broadcasts', {
      definition: definition('mm-ok', { kind: 'marketing_message', tag: undefined, topic: 'offers', at: LATER }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'mm-ok', kind: 'marketing_message', status: 'scheduled' });
    expect(typeof created.body.campaign).toBe('string');
  });
});
