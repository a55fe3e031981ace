import { textMessageBody } from '../../src/cli/sendEvent';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

/**
 * GET /admin/audience/count on a running service: customers write, the worker commits their
 * states with their audience cards, and the count over the index follows; bad filters are a JSON
 * 400 naming what is wrong; the route is for marketers and operators.
 */
const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const OPERATOR = 'operator-token-0123456789ab';
const HOUR = 3_600_000;
let clock = Date.UTC(2026, 10, 23, 12);
let service: RunningService;
let mids = 0;

beforeAll(async () => {
  const tokens = `anna:agent:${AGENT},mark:marketer:${MARKETER},olga:operator:${OPERATOR}`;
  service = await startService(testConfig({ REDIS_URL: undefined, ADMIN_TOKENS: tokens, ADMIN_PORT: '0' }), { now: () => clock });
});
afterAll(async () => {
  await service.stop();
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_aud_${++mids}`));
const count = async (query: string, token = MARKETER) => {
  const res = await fetch(`http://127.0.0.1:${service.adminPort}/admin/audience/count${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const where = (...clauses: string[]) => `?${clauses.map((c) => `where=${encodeURIComponent(c)}`).join('&')}`;

describe('GET /admin/audience/count', () => {
  it('counts the users a filter selects, from the index the worker keeps', async () => {
    for (const psid of ['aud-1', 'aud-2', 'aud-3']) expect((await say(psid, 'hello')).status).toBe(200);
    await waitFor('three cards', async () => ((await count('')).body.count === 3 ? true : undefined));
    expect((await count(where('window=open'))).body).toMatchObject({ count: 3, scanned: 3 });
    expect((await count(where('window=closed'))).body.count).toBe(0);
    expect((await count(where('flow=shop', 'last<1d'))).body.count).toBe(3);
    // Time passes (the injected clock): the windows close; the index is read at the new now.
    clock += 25 * HOUR;
    expect((await count(where('window=closed'))).body.count).toBe(3);
    expect((await say('aud-2', 'hello again')).status).toBe(200);
    await waitFor('aud-2 back in the window', async () =>
      (await count(where('window=open'))).body.count === 1 ? true : undefined,
    );
    // A JSON filter, and both together (all must hold).
    const json = encodeURIComponent(JSON.stringify({ all: [{ window: 'open' }] }));
    expect((await count(`?filter=${json}`)).body.count).toBe(1);
    expect((await count(`?filter=${json}&${where('window=closed').slice(1)}`)).body.count).toBe(0);
    const answer = (await count(where('window=open'))).body;
    expect(answer.perPartition).toHaveLength(16);
    expect(answer.filter).toEqual({ all: [{ window: 'open' }] });
  });

  it('answers a bad filter with a JSON 400 that names the clause or the place', async () => {
    const badWhere = await count(where('tag=vip', 'window=ajar'));
    expect(badWhere.status).toBe(400);
    expect(badWhere.body).toMatchObject({ error: 'bad_request', field: 'where' });
    expect(String(badWhere.body.message)).toContain('--where "window=ajar": "ajar" is not open or closed');
    expect(String(badWhere.body.message)).toContain('Accepted forms:');
    const notJson = await count('?filter=%7Ball');
    expect([notJson.status, notJson.body.field]).toEqual([400, 'filter']);
    const badJson = await count(`?filter=${encodeURIComponent(JSON.stringify({ all: [{ field: 'age' }] }))}`);
    expect(badJson.status).toBe(400);
    expect(String(badJson.body.message)).toContain('at all.0');
    expect(String(badJson.body.message)).toContain('needs an operator');
    const unknown = await count('?colour=red');
    expect([unknown.status, unknown.body.error]).toEqual([400, 'bad_request']);
  });

  it('is for marketers and operators, not agents', async () => {
    expect((await count('', MARKETER)).status).toBe(200);
    expect((await count('', OPERATOR)).status).toBe(200);
    const agent = await count('', AGENT);
    expect(agent.status).toBe(403);
    expect(agent.body.error).toBeDefined();
    expect((await count('', 'nobody-token-0123456789abc')).status).toBe(401);
  });
});
