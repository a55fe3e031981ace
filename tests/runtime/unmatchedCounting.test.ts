import pino from 'pino';
import { initialUserState } from '../../src/engine/userState';
import { StoreUnavailableError } from '../../src/errors';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createGraphClient, type ClosableGraphClient } from '../../src/messenger/graphClient';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { Store, UnmatchedOutcome, UnmatchedStore } from '../../src/store/ports';
import { runOnPartition0, testSenderOptions } from '../support/testSender';
import { waitFor } from '../support/webhookClient';

/**
 * The sender counts the engine's `unmatched` effects (issue #19, item 3): each once, in the
 * store's counts, with no user named; a store that does not answer is retried, never dropped.
 */
let fake: FakeGraphApi;
let graph: ClosableGraphClient;
let store: Store;
let metrics: Metrics;
let logs: string[];
let stop: () => Promise<void>;
/** How many count calls fail with a store outage before the store answers again. */
let outages = 0;
let calls = 0;

beforeEach(async () => {
  fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const memory = createMemoryStore({ dedupeTtlSeconds: 60 });
  const counts = memory.unmatched as UnmatchedStore;
  const flaky: UnmatchedStore = {
    count: async (text: string, outcome: UnmatchedOutcome, at: number) => {
      calls += 1;
      if (outages > 0) {
        outages -= 1;
        throw new StoreUnavailableError('unmatched count');
      }
      return counts.count(text, outcome, at);
    },
    top: (now, days, limit) => counts.top(now, days, limit),
  };
  const { kind, inbox, leases, states, rateLimits, timers } = memory;
  store = {
    kind,
    inbox,
    leases,
    states,
    rateLimits,
    timers,
    unmatched: flaky,
    ping: () => memory.ping(),
    close: () => memory.close(),
  };
  metrics = createMetrics();
  logs = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const sender = runOnPartition0(
    new OutboxSender(
      testSenderOptions(store, graph, { logger, metrics, rates: { text: 1000, media: 100, burst: 100 }, heldRetryMs: 100 }),
    ),
    token,
  );
  stop = async () => {
    await sender.stop();
    graph.close();
    await fake.stop();
  };
  // Commits one item for user "secret-psid-4411" with a fallback reply and its unmatched effect.
  const dedupeKey = 'mid:1';
  const now = Date.now();
  const event = {
    kind: 'message' as const,
    channel: 'messaging' as const,
    pageId: 'p',
    userId: 'secret-psid-4411',
    timestamp: now,
    dedupeKey,
    raw: {},
  };
  await store.inbox.append([{ partition: 0, dedupeKey, record: { source: 'webhook', event } }]);
  const [item] = await store.inbox.readNew(new Map([[0, await store.inbox.cursor(0)]]), 10, 10);
  commitItem = () =>
    store.states.commit({
      partition: 0,
      leaseToken: token,
      items: [
        {
          itemId: item?.id ?? '',
          userKey: 'p:secret-psid-4411',
          expectedVersion: 0,
          data: { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 },
          effects: [
            encodeEffect({
              type: 'send',
              message: { text: "Sorry, I didn't get that." },
              messaging: 'RESPONSE',
              promotional: false,
            }),
            encodeEffect({ type: 'unmatched', text: 'do you sell gift vouchers', outcome: 'fallback' }),
          ],
        },
      ],
    });
});
afterEach(async () => {
  await stop();
  outages = 0;
  calls = 0;
});
let commitItem: () => Promise<unknown>;

const counted = async () => (await (store.unmatched as UnmatchedStore).top(Date.now(), 1, 10)).map((r) => [r.text, r.count]);
const delivered = async (outcome: string) =>
  (await metrics.deliveries.get()).values.find((v) => v.labels.type === 'unmatched' && v.labels.outcome === outcome)?.value;

it('counts an unmatched effect once, after the reply, naming no one', async () => {
  await commitItem();
  await waitFor('counted', async () => ((await delivered('counted')) === 1 ? true : undefined));
  expect(await counted()).toEqual([['do you sell gift vouchers', 1]]);
  expect(fake.sentMessages('secret-psid-4411')).toHaveLength(1);
  // The customer's words are in no log line at info.
  expect(logs.filter((l) => l.includes('gift vouchers'))).toEqual([]);
});

it('a store that does not answer is retried until the count lands, never dropped', async () => {
  outages = 3;
  await commitItem();
  await waitFor('counted after the outage', async () => ((await delivered('counted')) === 1 ? true : undefined));
  expect(calls).toBe(4);
  expect(await counted()).toEqual([['do you sell gift vouchers', 1]]);
});
