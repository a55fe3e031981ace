import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { isConsentOnly } from '../../src/engine/engineEvent';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import type { ClosableGraphClient } from '../../src/messenger/graphClient';
import { GraphApiError } from '../../src/messenger/graphErrors';
import { TOKENS_PAGE_SIZE } from '../../src/messenger/marketingCalls';
import { syncMarketingTokens, tokenDedupeKey, type MarketingTokenSyncOptions } from '../../src/messenger/marketingTokenSync';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { partitionOf } from '../../src/store/partitionOf';
import type { InboxItem, OwnedStore } from '../../src/store/ports';
import { startTestGraphApi, testGraphClient } from '../support/testGraphApi';
import { TEST_PAGE } from '../support/testEnv';

/**
 * Meta's subscriber list (the fake's, over HTTP) into a memory store's inbox, and from there
 * through the runtime's own reading of inbox events: each token must become the MarketingOptin a
 * live opt-in webhook would, consent only, and a second sync must append nothing.
 */

const PARTITIONS = 8;
const DAY = 24 * 3600 * 1000;
const SEC = 1000;
let clock = 1_700_000_000_000;
let fake: FakeGraphApi;
let graph: ClosableGraphClient;
let store: OwnedStore;

beforeAll(async () => {
  fake = await startTestGraphApi({ now: () => clock });
  graph = testGraphClient(fake, { timeoutMs: 2_000 });
});
afterAll(async () => {
  graph.close();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  clock += DAY;
  store = createMemoryStore({ dedupeTtlSeconds: 3600, now: () => clock });
});
afterEach(async () => {
  await store.close();
});

const options = (extra: Partial<MarketingTokenSyncOptions> = {}): MarketingTokenSyncOptions => ({
  graph,
  pageId: TEST_PAGE,
  partitionOf: (psid) => partitionOf(TEST_PAGE, psid, PARTITIONS),
  append: (requests) => store.inbox.append(requests),
  maxPages: 10,
  budgetMs: 60_000,
  now: () => clock,
  ...extra,
});

/** Every inbox item of every partition, by PSID. */
async function inboxByPsid(): Promise<Map<string, InboxItem[]>> {
  const after = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, '0-0'] as const));
  const read = await store.inbox.readNew(after, 100_000, 1);
  const byPsid = new Map<string, InboxItem[]>();
  for (const r of read) {
    if (r.type !== 'item') throw new Error(`unexpected ${r.type} record`);
    byPsid.set(r.record.event.userId, [...(byPsid.get(r.record.event.userId) ?? []), r]);
  }
  return byPsid;
}

describe('syncMarketingTokens', () => {
  it('appends each listed subscriber as an opt-in the engine reads as a MarketingOptin; a second sync appends 0', async () => {
    const expiresAt = clock + 180 * DAY;
    fake.marketing.addToken({ token: 'tok-a', psid: 'psid-a', topic: 'offers', expiresAt, createdAt: clock - 2 * DAY });
    fake.marketing.addToken({ token: 'tok-b', psid: 'psid-b', topic: 'restocks', expiresAt, createdAt: clock - DAY });
    fake.marketing.addToken({ token: 'tok-c', psid: 'psid-c', topic: 'offers', expiresAt, status: 'stopped' });

    const first = await syncMarketingTokens(options());
    expect(first).toEqual({ pages: 1, tokens: 2, appended: 2, duplicates: 0, complete: true });

    const inbox = await inboxByPsid();
    expect([...inbox.keys()].sort()).toEqual(['psid-a', 'psid-b']);
    const expected = [
      { psid: 'psid-a', token: 'tok-a', topic: 'offers', createdAt: clock - 2 * DAY },
      { psid: 'psid-b', token: 'tok-b', topic: 'restocks', createdAt: clock - DAY },
    ];
    for (const { psid, token, topic, createdAt } of expected) {
      const items = inbox.get(psid) ?? [];
      expect(items).toHaveLength(1);
      const item = items[0]!;
      const dedupeKey = `mmtoken:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
      expect(item.partition).toBe(partitionOf(TEST_PAGE, psid, PARTITIONS));
      expect(item.record).toMatchObject({
        source: 'admin',
        event: { kind: 'optin', pageId: TEST_PAGE, userId: psid, timestamp: createdAt, dedupeKey },
      });
      // Meta's opt-in webhook event, field for field (docs/messenger-platform.md §2.5), marked as
      // synced so the engine never lets it undo a recorded withdrawal.
      expect(item.record.event.raw).toEqual({
        sender: { id: psid },
        recipient: { id: TEST_PAGE },
        timestamp: createdAt,
        optin: {
          type: 'notification_messages',
          payload: topic,
          title: topic,
          notification_messages_token: token,
          token_expiry_timestamp: Math.floor(expiresAt / SEC),
          user_token_status: 'NOT_REFRESHED',
          notification_messages_timezone: 'UTC',
          talkshop_synced: true,
        },
      });
      const event = toEngineEvent(item.record.event);
      expect(event).toMatchObject({
        type: 'optin',
        marketing: { status: 'optin', topic, token, expiresAt: Math.floor(expiresAt / SEC) * SEC, synced: true },
        cause: dedupeKey,
      });
      // Recorded, not acted on: no window, no profile lookup, no opt-in flow for a past subscription.
      expect(isConsentOnly(event)).toBe(true);
    }

    const second = await syncMarketingTokens(options());
    expect(second).toEqual({ pages: 1, tokens: 2, appended: 0, duplicates: 2, complete: true });
    expect([...(await inboxByPsid()).values()].flat()).toHaveLength(2);

    // A subscriber who joined since is the only thing a later sync adds.
    fake.marketing.addToken({ token: 'tok-d', psid: 'psid-d', topic: 'offers', expiresAt });
    expect(await syncMarketingTokens(options())).toMatchObject({ tokens: 3, appended: 1, duplicates: 2 });
  });

  it('pages through a list longer than a page, and stops at maxPages (reported incomplete)', async () => {
    const total = TOKENS_PAGE_SIZE * 2 + 3;
    for (let n = 0; n < total; n += 1)
      fake.marketing.addToken({ token: `tok-${n}`, psid: `psid-${n}`, topic: 'offers', expiresAt: clock + DAY });

    const bounded = await syncMarketingTokens(options({ maxPages: 1 }));
    expect(bounded).toEqual({ pages: 1, tokens: TOKENS_PAGE_SIZE, appended: TOKENS_PAGE_SIZE, duplicates: 0, complete: false });

    const all = await syncMarketingTokens(options());
    expect(all).toEqual({
      pages: 3,
      tokens: total,
      appended: total - TOKENS_PAGE_SIZE,
      duplicates: TOKENS_PAGE_SIZE,
      complete: true,
    });
    expect(fake.calls.filter((c) => c.endpoint === 'notification_message_tokens')).toHaveLength(4);
    expect((await inboxByPsid()).size).toBe(total);
  });

  it('stops asking for pages when the time budget is spent', async () => {
    for (let n = 0; n < TOKENS_PAGE_SIZE * 3; n += 1)
      fake.marketing.addToken({ token: `tok-${n}`, psid: `psid-${n}`, topic: 'offers', expiresAt: clock + DAY });
    // Each page takes a second by the sync's clock.
    const slow: MarketingTokenSyncOptions['graph'] = {
      notificationMessageTokens: async (after) => {
        const page = await graph.notificationMessageTokens(after);
        clock += SEC;
        return page;
      },
    };
    const result = await syncMarketingTokens(options({ graph: slow, budgetMs: 1.5 * SEC }));
    expect(result).toMatchObject({ pages: 2, tokens: 2 * TOKENS_PAGE_SIZE, complete: false });
  });

  it('a failing page is thrown; what earlier pages read is already appended', async () => {
    for (let n = 0; n < TOKENS_PAGE_SIZE + 1; n += 1)
      fake.marketing.addToken({ token: `tok-${n}`, psid: `psid-${n}`, topic: 'offers', expiresAt: clock + DAY });
    let calls = 0;
    const failingSecond: MarketingTokenSyncOptions['graph'] = {
      notificationMessageTokens: (after) => {
        calls += 1;
        if (calls === 2) fake.fail.nextRequests(1, { code: 190 });
        return graph.notificationMessageTokens(after);
      },
    };
    await expect(syncMarketingTokens(options({ graph: failingSecond }))).rejects.toBeInstanceOf(GraphApiError);
    expect((await inboxByPsid()).size).toBe(TOKENS_PAGE_SIZE);
  });

  it('never logs a token', async () => {
    fake.marketing.addToken({ token: 'tok-secret-123', psid: 'psid-1', topic: 'offers', expiresAt: clock + DAY });
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    expect(await syncMarketingTokens(options({ logger }))).toMatchObject({ appended: 1 });
    expect(logged).toContain('marketing token sync');
    expect(logged).not.toContain('tok-secret-123');
    expect(tokenDedupeKey('tok-secret-123')).not.toContain('tok-secret-123');
  });

  it('refuses bounds that would read nothing or without end', async () => {
    await expect(syncMarketingTokens(options({ maxPages: 0 }))).rejects.toThrow(RangeError);
    await expect(syncMarketingTokens(options({ budgetMs: 0 }))).rejects.toThrow(RangeError);
    expect(fake.calls).toHaveLength(0);
  });
});
