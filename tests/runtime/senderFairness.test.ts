import { startFakeGraphApi, FAKE_ERRORS, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import type { EngineEffect } from '../../src/engine/effects';
import { initialUserState } from '../../src/engine/userState';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createGraphClient, type GraphClient } from '../../src/messenger/graphClient';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { testSenderOptions } from '../support/testSender';
import type { ReplyLimit } from '../../src/runtime/userFairness';
import { MAX_TRANSIENT_ATTEMPTS } from '../../src/runtime/userFairness';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { Store } from '../../src/store/ports';
import { waitFor } from '../support/webhookClient';

/**
 * One customer must not starve their partition: a recipient whose sends keep failing waits alone
 * (and is given up after a bounded number of tries once others get through), a user with a long
 * backlog does not hide the users behind them, and a user who writes faster than the reply limit
 * has every event applied but only some answered.
 */
const reply = (text: string, messaging: 'RESPONSE' | 'UPDATE' = 'RESPONSE'): EngineEffect => ({
  type: 'send',
  message: { text },
  messaging,
  promotional: false,
});

interface Rig {
  readonly fake: FakeGraphApi;
  readonly graph: GraphClient;
  readonly store: Store;
  readonly metrics: Metrics;
  /** Commits one inbox item per entry (in order) with its effects, as the worker would. */
  commit(items: ReadonlyArray<{ user: string; effects: EngineEffect[] }>): Promise<void>;
  start(replyLimit?: ReplyLimit): void;
  stop(): Promise<void>;
  /** Recipients of the message sends Meta accepted, in order. */
  sentTo(): string[];
  outcome(o: string): Promise<number>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function makeRig(): Promise<Rig> {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  const graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const metrics = createMetrics();
  const token = (await store.leases.acquire(0, 'w', 600_000)) as string;
  const versions = new Map<string, number>();
  const now = Date.now();
  const state = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  let n = 0;
  let active = true;
  let running: Promise<void> | undefined;
  return {
    fake,
    graph,
    store,
    metrics,
    async commit(items) {
      const start = n;
      await store.inbox.append(
        items.map(({ user }) => {
          n += 1;
          const dedupeKey = `mid:${n}`;
          const event = {
            kind: 'message' as const,
            channel: 'messaging' as const,
            pageId: 'p',
            userId: user,
            timestamp: now,
            dedupeKey,
            raw: {},
          };
          return { partition: 0, dedupeKey, record: { source: 'webhook' as const, event } };
        }),
      );
      const read = await store.inbox.readNew(new Map([[0, await store.inbox.cursor(0)]]), 10_000, 10);
      const commits = read.slice(0, n - start).map((r, i) => {
        const { user, effects } = items[i] as { user: string; effects: EngineEffect[] };
        const expectedVersion = versions.get(user) ?? 0;
        versions.set(user, expectedVersion + 1);
        return { itemId: r.id, userKey: `p:${user}`, expectedVersion, data: state, effects: effects.map(encodeEffect) };
      });
      await store.states.commit({ partition: 0, leaseToken: token, items: commits });
    },
    start(replyLimit) {
      const sender = new OutboxSender(
        testSenderOptions(store, graph, {
          metrics,
          now: () => now, // the business clock stands still: no reply tokens refill
          rates: { text: 10_000, media: 10, burst: 1000 },
          replyLimit,
          userBackoff: { baseMs: 10, capMs: 40 },
        }),
      );
      running = sender.run(
        0,
        token,
        () => active,
        (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
      );
    },
    async stop() {
      active = false;
      await running;
      graph.close();
      await fake.stop();
    },
    sentTo: () =>
      fake.calls
        .filter((c) => c.status === 200 && (c.body as { message?: unknown } | undefined)?.message !== undefined)
        .map((c) => String((c.body as { recipient: { id: string } }).recipient.id)),
    outcome: async (o) =>
      (await metrics.deliveries.get()).values.filter((v) => v.labels.outcome === o).reduce((sum, v) => sum + v.value, 0),
  };
}

it('a recipient whose sends keep failing waits alone; the others are delivered; the entry is given up after its tries', async () => {
  rig = await makeRig();
  const r = rig;
  r.fake.fail.recipient('stuck', FAKE_ERRORS.temporarySendFailure, { endpoints: ['messages'] });
  await r.commit([{ user: 'stuck', effects: [reply('one'), reply('two')] }]);
  await r.commit(Array.from({ length: 6 }, (_, i) => ({ user: `ok${i}`, effects: [reply(`hi ${i}`)] })));
  r.start();
  await waitFor('every other user delivered', async () => (r.sentTo().length === 6 ? true : undefined));
  expect(r.sentTo().sort()).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'ok5']);
  expect((await r.metrics.usersPostponed.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
  // Meta works for others, so each new try counts; more users keep proving it.
  for (let i = 0; (await r.outcome('gave_up')) < 2; i++) {
    await r.commit([{ user: `later${i}`, effects: [reply('again')] }]);
    await waitFor(`later${i} delivered`, async () => (r.sentTo().includes(`later${i}`) ? true : undefined));
    expect(i).toBeLessThan(100 * MAX_TRANSIENT_ATTEMPTS);
  }
  // Both of the stuck user's entries were given up in order, none sent; the outbox is empty.
  expect(r.sentTo()).not.toContain('stuck');
  await waitFor('the outbox drained', async () =>
    (await r.store.states.readOutbox(0, '0-0', 10)).length === 0 ? true : undefined,
  );
});

it('a user with a long backlog does not hide the users behind it: they are served within the first rounds', async () => {
  rig = await makeRig();
  const r = rig;
  r.fake.fail.latency(5);
  await r.commit(Array.from({ length: 300 }, () => ({ user: 'busy', effects: [reply('news', 'UPDATE')] })));
  await r.commit([{ user: 'quiet', effects: [reply('hello')] }]);
  r.start();
  await waitFor('the quiet user served', async () => (r.sentTo().includes('quiet') ? true : undefined));
  // Before: 'quiet' came after all 300 of the busy user's entries. Now after a few rounds of five.
  expect(r.sentTo().indexOf('quiet')).toBeLessThan(30);
});

it('a user writing faster than the reply limit: the first `burst` events are answered in full, the rest not at all', async () => {
  rig = await makeRig();
  const r = rig;
  const flood = Array.from({ length: 10 }, (_, i) => ({
    user: 'flood',
    effects: [{ type: 'mark_seen' } as EngineEffect, reply(`a${i}`), reply(`b${i}`)],
  }));
  await r.commit(flood);
  await r.commit([{ user: 'calm', effects: [reply('hello')] }]);
  await r.commit([
    { user: 'flood', effects: [reply('from a person', 'RESPONSE')].map((e) => ({ ...e, byHumanAgent: true }) as EngineEffect) },
  ]);
  r.start({ perMinute: 6, burst: 3 });
  await waitFor('the outbox drained', async () =>
    (await r.store.states.readOutbox(0, '0-0', 100)).length === 0 ? true : undefined,
  );
  const texts = r.fake.calls
    .filter((c) => c.status === 200 && (c.body as { message?: { text?: string } }).message?.text)
    .map((c) => (c.body as { message: { text: string } }).message.text);
  expect(texts.filter((t) => /^[ab]\d$/.test(t))).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  expect(texts).toContain('hello'); // another user is not limited
  expect(texts).toContain('from a person'); // an agent's reply never is
  expect((await r.metrics.repliesLimited.get()).values[0]?.value).toBe(7);
  // Of the 7 unanswered events, both replies are refused; their seen markers are superseded by the
  // flood's last one (one mark_seen per burst), which the limit refuses too.
  expect(await r.outcome('refused_flood')).toBe(7 * 2 + 1);
  expect(await r.outcome('superseded')).toBe(9);
});
