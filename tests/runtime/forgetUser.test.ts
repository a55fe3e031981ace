/**
 * Export and delete (#10, scope 2), end to end on Redis: a customer with a conversation, a thread
 * with a person, a pending handover timer, an undelivered outbox entry and a set-aside item is
 * exported and then erased through the admin API; the erase travels through the customer's inbox
 * lane and a worker applies it. Afterwards every key under the prefix is read whole (key names,
 * string values, hash fields and values, sorted-set members, stream entries) and none names the
 * customer; the tombstone is a digest. Another customer's data is untouched.
 */
import { createHash } from 'node:crypto';
import pino from 'pino';
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import type { Config } from '../../src/config/config';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { loadFlows } from '../../src/flows/loadFlows';
import { createMetrics } from '../../src/metrics';
import { flowHandler } from '../../src/runtime/flowHandler';
import type { Handler } from '../../src/runtime/handler';
import { Worker } from '../../src/runtime/worker';
import { startService, type RunningService } from '../../src/server';
import { keysFor, tombstoneIdOf } from '../../src/store/keys';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { InboxRecord } from '../../src/store/ports';
import { encodeInboxRecord } from '../../src/store/records';
import { deletePrefix } from '../support/redisKeys';
import { partitionsUpTo, settled } from '../support/settled';
import { TEST_PAGE, TEST_REDIS_URL, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

const TOKEN = 'operator-token-0123456789ab';
const VICTIM = 'psid-victim-7731';
const OTHER = 'psid-other-4410';

let fake: FakeGraphApi;
let config: Config;
let redis: ReturnType<typeof createClient>;
const running: Array<() => Promise<void>> = [];
let mids = 0;

beforeAll(async () => {
  fake = await startTestGraphApi();
  redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  config = testConfig({ GRAPH_API_URL: fake.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0' });
});
afterAll(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
  await fake.stop();
  await redis.quit();
  await deletePrefix(config.REDIS_KEY_PREFIX);
});

async function boot(env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startService(testConfig({ ...configEnv(), ...env }), { logger: pino({ level: 'silent' }) });
  running.push(() => service.stop());
  return service;
}
/** The same prefix and settings as `config` (testConfig would pick a new prefix). */
const configEnv = (): Record<string, string> => ({
  GRAPH_API_URL: fake.url,
  ADMIN_TOKEN: TOKEN,
  ADMIN_PORT: '0',
  REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
});

const where = (psid: string) => ({
  partition: partitionOf(TEST_PAGE, psid, config.INBOX_PARTITIONS),
  userKey: userKeyOf(TEST_PAGE, psid),
});
const keys = () => keysFor(config.REDIS_KEY_PREFIX);

async function say(service: RunningService, psid: string, text: string): Promise<void> {
  const res = await postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, Date.now(), `m_forget_${++mids}`));
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
}
async function handedOver(service: RunningService, psid: string): Promise<void> {
  await say(service, psid, 'hello');
  await say(service, psid, 'talk to a person');
  const { partition, userKey } = where(psid);
  await waitFor(`${psid} with a person, timer armed`, async () => {
    const state = decodeUserState((await service.store.states.load(partition, userKey)).data);
    const timers = await service.store.timers.pending(partition, `${userKey}|`);
    return state.thread === 'human' && timers.length > 0 ? true : undefined;
  });
}

const admin = (service: RunningService, method: string, path: string) =>
  fetch(`http://127.0.0.1:${service.adminPort}/admin${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });

/** Every key under the prefix with everything it holds, as text, read whole by its type. */
async function dumpPrefix(): Promise<Array<{ key: string; texts: string[] }>> {
  const out: Array<{ key: string; texts: string[] }> = [];
  for await (const batch of redis.scanIterator({ MATCH: `${config.REDIS_KEY_PREFIX}:*`, COUNT: 1000 })) {
    for (const key of batch) {
      const type = await redis.type(key);
      const texts: string[] = [];
      if (type === 'string') texts.push((await redis.get(key)) ?? '');
      else if (type === 'hash') for (const [f, v] of Object.entries(await redis.hGetAll(key))) texts.push(f, v);
      else if (type === 'zset') for (const m of await redis.zRangeWithScores(key, 0, -1)) texts.push(m.value);
      else if (type === 'set') texts.push(...(await redis.sMembers(key)));
      else if (type === 'list') texts.push(...(await redis.lRange(key, 0, -1)));
      else if (type === 'stream')
        for (const e of await redis.xRange(key, '-', '+')) texts.push(e.id, ...Object.entries(e.message).flat());
      else throw new Error(`${key}: a ${type}, which this test does not know how to read`);
      out.push({ key, texts });
    }
  }
  return out;
}

const webhookRecord = (psid: string, text: string): InboxRecord => ({
  source: 'webhook',
  event: {
    kind: 'message',
    channel: 'messaging',
    pageId: TEST_PAGE,
    userId: psid,
    timestamp: Date.now(),
    dedupeKey: `mid:m_setaside_${psid}`,
    raw: { sender: { id: psid }, message: { mid: `m_setaside_${psid}`, text } },
  },
});

describe('export and delete, end to end on Redis', () => {
  it('exports everything, then the erase leaves no key, field, member or entry naming the customer; others untouched', async () => {
    // 1. Two customers talk to the shop and ask for a person: states, thread list, handover timers.
    const first = await boot();
    await handedOver(first, VICTIM);
    await handedOver(first, OTHER);
    await settled(first.store, partitionsUpTo(config.INBOX_PARTITIONS));
    await running.pop()?.();

    // 2. While no sender runs: an undelivered outbox entry and a set-aside item for each, and an
    //    unreadable set-aside entry whose text names the victim.
    for (const psid of [VICTIM, OTHER]) {
      const { partition, userKey } = where(psid);
      const effect = JSON.stringify({ type: 'send', message: { text: 'your order shipped' }, messagingType: 'RESPONSE' });
      await redis.xAdd(keys().outbox(partition), '*', { u: userKey, i: '1-1', v: '1', e: effect });
      const raw = encodeInboxRecord(webhookRecord(psid, 'my email is someone@example.com'));
      await redis.xAdd(keys().inboxSetAside(partition), '*', { i: '1-2', why: 'attempts', n: '5', d: 'failed', r: raw });
    }
    const victim = where(VICTIM);
    await redis.xAdd(keys().inboxSetAside(victim.partition), '*', {
      i: '1-3',
      why: 'corrupt',
      n: '0',
      d: 'not JSON',
      r: `{"broken ${VICTIM}`,
    });

    // 3. The admin API alone (no worker): export, then queue the erase.
    const web = await boot({ ROLE: 'web' });
    const exported = await admin(web, 'GET', `/users/${VICTIM}/export`);
    expect(exported.status).toBe(200);
    const record = (await exported.json()) as Record<string, unknown> & { state: Record<string, unknown> };
    expect(record).toMatchObject({
      psid: VICTIM,
      partition: victim.partition,
      thread: { state: 'human' },
      outbox: [{ itemId: '1-1', effect: { message: { text: 'your order shipped' } } }],
      timers: [{ slot: `${victim.userKey}|handover_timeout`, record: { source: 'timer', event: { userId: VICTIM } } }],
      broadcastsReceived: [],
      forgottenAt: null,
    });
    expect(record.state).toMatchObject({ thread: 'human', fields: { first_name: 'Sam' } });
    expect((record.state.transcript as Array<{ text: string }>).map((t) => t.text)).toContain('talk to a person');
    expect(record.state.threadLog).toEqual(expect.arrayContaining([expect.objectContaining({ to: 'human' })]));
    expect((record.setAside as Array<{ itemId: string }>).map((e) => e.itemId).sort()).toEqual(['1-2', '1-3']);

    const deleted = await admin(web, 'DELETE', `/users/${VICTIM}`);
    expect(deleted.status).toBe(202);
    expect(await deleted.json()).toEqual({ queued: 'forget', known: true });

    // 4. A worker (no sender, so nothing else moves) applies it in the victim's lane.
    const flows = loadFlows(config.FLOWS_DIR);
    if (!flows.ok) throw new Error('the shop flows do not load');
    const worker = new Worker<unknown>({
      store: web.store,
      handler: flowHandler(flows.flowSet) as Handler<unknown>,
      partitions: config.INBOX_PARTITIONS,
      workerId: 'forget-test',
      leaseTtlMs: 10_000,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
    });
    await worker.start();
    running.push(() => worker.stop());
    await waitFor(
      'the tombstone',
      async () => (await web.store.states.forgottenAt(victim.partition, victim.userKey)) ?? undefined,
    );
    await waitFor('the inbox drained', async () =>
      (await web.store.inbox.pendingCounts(partitionsUpTo(config.INBOX_PARTITIONS))).every((n) => n === 0) ? true : undefined,
    );

    // 5. Nothing under the prefix names the victim, in any key name or anything any key holds.
    const dump = await dumpPrefix();
    expect(dump.length).toBeGreaterThan(10);
    const naming = dump.flatMap(({ key, texts }) => [key, ...texts].filter((t) => t.includes(VICTIM)).map((t) => `${key}: ${t}`));
    expect(naming).toEqual([]);
    const tombstoneId = createHash('sha256').update(`${TEST_PAGE}:${VICTIM}`).digest('hex');
    expect(tombstoneIdOf(victim.userKey)).toBe(tombstoneId);
    expect(await redis.hGet(keys().tombstones(victim.partition), tombstoneId)).toMatch(/^\d+$/);

    // 6. The other customer keeps everything.
    const other = where(OTHER);
    const theirs = await web.store.states.load(other.partition, other.userKey);
    expect(decodeUserState(theirs.data).thread).toBe('human');
    expect((await web.store.states.threads(other.partition)).map((t) => t.userKey)).toContain(other.userKey);
    expect(await web.store.timers.pending(other.partition, `${other.userKey}|`)).toHaveLength(1);
    expect(await web.store.states.userOutbox(other.partition, other.userKey)).toHaveLength(1);
    const otherAside = (await web.store.inbox.setAsideItems(other.partition, 100)).filter((e) => e.raw.includes(OTHER));
    expect(otherAside).toHaveLength(1);
    expect(await web.store.states.forgottenAt(other.partition, other.userKey)).toBeNull();

    // 7. The victim writes again: a new conversation, applied normally; the tombstone stays.
    await say(web, VICTIM, 'hello again');
    const again = await waitFor('a new state', async () => {
      const s = await web.store.states.load(victim.partition, victim.userKey);
      return s.version > 0 ? s : undefined;
    });
    expect(again.version).toBe(1);
    expect(decodeUserState(again.data).thread).toBe('bot');
    expect(await web.store.states.forgottenAt(victim.partition, victim.userKey)).not.toBeNull();
  });
});
