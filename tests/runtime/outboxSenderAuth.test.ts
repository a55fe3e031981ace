import pino from 'pino';
import { startFakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { createMetrics } from '../../src/metrics';
import { createGraphClient } from '../../src/messenger/graphClient';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { initialUserState } from '../../src/engine/userState';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { waitFor } from '../support/webhookClient';

/** 190 (token invalid): an operator alert, the Page stops sending, and the outbox is kept. */
it('on 190 alerts loudly, pauses the page and loses nothing; delivers once the token works again', async () => {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  const graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const alerts: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void alerts.push(String(JSON.parse(line).msg)) });
  const metrics = createMetrics();
  const now = Date.now();
  await store.inbox.append([{ partition: 0, dedupeKey: 'mid:1', record: { source: 'webhook', event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: now, dedupeKey: 'mid:1', raw: {} } } }]);
  const [item] = await store.inbox.readNew(new Map([[0, '0-0']]), 1, 10);
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const state = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  const effects = [{ type: 'send', message: { text: 'one' }, messaging: 'RESPONSE', promotional: false }, { type: 'send', message: { text: 'two' }, messaging: 'RESPONSE', promotional: false }];
  await store.states.commit({ partition: 0, leaseToken: token, items: [{ itemId: item?.id as string, userKey: 'p:u', expectedVersion: 0, data: state, effects }] });

  fake.fail.tokenInvalid(true);
  const sender = new OutboxSender({ store, graph, pageId: 'p', partitions: 16, logger, metrics, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), rates: { text: 100, media: 10, burst: 10 }, authPauseMs: 300 });
  let active = true;
  const running = sender.run(0, token, () => active, (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))));
  await waitFor('the alert', () => (alerts.some((m) => m.startsWith('ALERT')) ? true : undefined));
  expect(await store.states.outboxCursor(0)).toBe('0-0');
  expect((await store.rateLimits.take('page:p:text', 100, 10)).granted).toBe(false);
  fake.fail.tokenInvalid(false);
  await waitFor('both messages delivered', () => (fake.sentMessages('u').filter((c) => c.status === 200).length === 2 ? true : undefined), 10_000);
  expect(fake.sentMessages('u').filter((c) => c.status === 200).map((c) => (c.body as { message: { text: string } }).message.text)).toEqual(['one', 'two']);
  active = false;
  await running;

  // A graceful stop does not wait out a long Page pause (60 s here; the test times out at 30 s).
  fake.fail.tokenInvalid(true);
  await store.inbox.append([{ partition: 0, dedupeKey: 'mid:2', record: { source: 'webhook', event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: now, dedupeKey: 'mid:2', raw: {} } } }]);
  const [second] = await store.inbox.readNew(new Map([[0, item?.id as string]]), 1, 10);
  await store.states.commit({ partition: 0, leaseToken: token, items: [{ itemId: second?.id as string, userKey: 'p:u', expectedVersion: 1, data: state, effects: [effects[0] as (typeof effects)[number]] }] });
  const slow = new OutboxSender({ store, graph, pageId: 'p', partitions: 16, logger, metrics, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), rates: { text: 100, media: 10, burst: 10 }, authPauseMs: 60_000 });
  let on = true;
  const alertsBefore = alerts.length;
  const stopping = slow.run(0, token, () => on, (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))));
  await waitFor('the second alert', () => (alerts.length > alertsBefore ? true : undefined));
  on = false;
  await stopping; // with the 60 s pause waited out, this would outlast the test's timeout
  graph.close();
  await fake.stop();
});
