import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startService, type RunningService } from '../../src/server';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, TEST_REDIS_URL, testConfig, uniquePrefix } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

/**
 * GET /admin/insights/unmatched on a running service (Redis): customers write texts the demo's
 * flows do not understand, the sender counts the engine's `unmatched` effects, and the route lists
 * them, most frequent first. No key or value under the prefix names a customer.
 */
const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const PSIDS = ['insight-psid-7731', 'insight-psid-7732', 'insight-psid-7733'];
const prefix = uniquePrefix('insights');
let clock = Date.UTC(2026, 10, 23, 12);
let service: RunningService;
let graph: FakeGraphApi;
let mids = 0;

beforeAll(async () => {
  const tokens = `anna:agent:${AGENT},mark:marketer:${MARKETER}`;
  graph = await startTestGraphApi({ now: () => clock });
  const config = testConfig({ REDIS_KEY_PREFIX: prefix, ADMIN_TOKENS: tokens, ADMIN_PORT: '0', GRAPH_API_URL: graph.url });
  service = await startService(config, {
    now: () => clock,
  });
});
afterAll(async () => {
  await service.stop();
  await graph.stop();
  await deletePrefix(prefix);
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_ins_${++mids}`));
const unmatched = async (query = '', token = MARKETER) => {
  const res = await fetch(`http://127.0.0.1:${service.adminPort}/admin/insights/unmatched${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const texts = (body: Record<string, unknown>) => (body.texts ?? []) as Array<Record<string, unknown>>;

describe('GET /admin/insights/unmatched', () => {
  it('lists what customers wrote that the bot did not understand, most frequent first, naming no one', async () => {
    // Each customer starts the conversation, then asks something the demo has no answer for.
    for (const psid of PSIDS) expect((await say(psid, 'hello')).status).toBe(200);
    for (const psid of PSIDS) expect((await say(psid, 'Do you sell gift vouchers??')).status).toBe(200);
    expect((await say(PSIDS[0] as string, 'zzkrx qwpl')).status).toBe(200);
    await waitFor('four counted', async () => {
      const rows = texts((await unmatched()).body);
      return rows.reduce((n, r) => n + Number(r.count), 0) >= 4 ? rows : undefined;
    });
    const { status, body } = await unmatched('?days=1&limit=10');
    expect(status).toBe(200);
    expect(body).toMatchObject({ days: 1, from: '2026-11-23', to: '2026-11-23', limit: 10 });
    const rows = texts(body);
    expect(rows[0]).toMatchObject({ text: 'do you sell gift vouchers', count: 3, lastDay: '2026-11-23' });
    expect(rows.map((r) => r.text)).toContain('zzkrx qwpl');
    expect(Number(rows[0]?.fallback) + Number(rows[0]?.suggested)).toBe(3);
    expect((await unmatched('?limit=1')).body.texts).toHaveLength(1);

    // No key or value under the service's prefix for the counts names a customer.
    const raw = createClient({ url: TEST_REDIS_URL });
    await raw.connect();
    try {
      const keys: string[] = [];
      for await (const chunk of raw.scanIterator({ MATCH: `${prefix}:{insights}:*`, COUNT: 1000 })) keys.push(...chunk);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const members = await raw.zRange(key, 0, -1);
        for (const psid of PSIDS) expect(`${key} ${members.join(' ')}`).not.toContain(psid);
      }
    } finally {
      await raw.quit();
    }

    // Two days later, a one-day window is empty; a three-day window still holds them.
    clock += 2 * 86_400_000;
    expect(texts((await unmatched('?days=1')).body)).toEqual([]);
    expect(texts((await unmatched('?days=3')).body)[0]).toMatchObject({ text: 'do you sell gift vouchers', count: 3 });
  });

  it('answers bad parameters with a JSON 400 naming the field; agents may not call it', async () => {
    for (const query of ['?days=0', '?days=91', '?days=x', '?limit=0', '?limit=1001', '?other=1']) {
      const res = await unmatched(query);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'bad_request' });
    }
    expect((await unmatched('?days=91')).body.field).toBe('days');
    expect((await unmatched('', AGENT)).status).toBe(403);
  });
});
