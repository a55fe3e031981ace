import pino from 'pino';
import { startFakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { createMetrics } from '../../src/metrics';
import { createGraphClient } from '../../src/messenger/graphClient';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { DEFAULT_USERS_IN_FLIGHT, OutboxSender } from '../../src/runtime/outboxSender';
import { initialUserState } from '../../src/engine/userState';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { seedOutbox } from '../support/seedOutbox';
import { waitFor } from '../support/webhookClient';
import { openFakeGraph } from '../support/fakeGraph';

/** 190 (token invalid): an operator alert, the Page stops sending, and the outbox is kept. */
it('on 190 alerts loudly, pauses the page and loses nothing; delivers once the token works again', async () => {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  const graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const alerts: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void alerts.push(String(JSON.parse(line).msg)) });
  const metrics = createMetrics();
  const now = Date.now();
  await store.inbox.append([
    {
      partition: 0,
      dedupeKey: 'mid:1',
      record: {
        source: 'webhook',
        event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: now, dedupeKey: 'mid:1', raw: {} },
      },
    },
  ]);
  const [item] = await store.inbox.readNew(new Map([[0, '0-0']]), 1, 10);
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const state = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  /** A sender of this Page whose pause after a refused token lasts `authPauseMs`. */
  const senderPausingFor = (authPauseMs: number) =>
    new OutboxSender({
      store,
      graph,
      pageId: 'p',
      partitions: 16,
      logger,
      metrics,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      rates: { text: 100, media: 10, burst: 10 },
      authPauseMs,
    });
  const effects = ['one', 'two'].map((text) =>
    encodeEffect({ type: 'send', message: { text }, messaging: 'RESPONSE', promotional: false }),
  );
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: [{ itemId: item?.id as string, userKey: 'p:u', expectedVersion: 0, data: state, effects }],
  });

  fake.fail.tokenInvalid(true);
  const sender = senderPausingFor(300);
  let active = true;
  const running = sender.run(
    0,
    token,
    () => active,
    (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  );
  await waitFor('the alert', () => (alerts.some((m) => m.startsWith('ALERT')) ? true : undefined));
  expect(await store.states.outboxCursor(0)).toBe('0-0');
  expect((await store.rateLimits.take('page:p:text', 100, 10)).granted).toBe(false);
  fake.fail.tokenInvalid(false);
  await waitFor('both messages delivered', () =>
    fake.sentMessages('u').filter((c) => c.status === 200).length === 2 ? true : undefined,
  );
  expect(
    fake
      .sentMessages('u')
      .filter((c) => c.status === 200)
      .map((c) => (c.body as { message: { text: string } }).message.text),
  ).toEqual(['one', 'two']);
  active = false;
  await running;

  // A graceful stop does not wait out a long Page pause: an hour here, so a stop that waited it
  // out could never pass, whatever the machine's speed or the test's timeout.
  fake.fail.tokenInvalid(true);
  await store.inbox.append([
    {
      partition: 0,
      dedupeKey: 'mid:2',
      record: {
        source: 'webhook',
        event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: now, dedupeKey: 'mid:2', raw: {} },
      },
    },
  ]);
  const [second] = await store.inbox.readNew(new Map([[0, item?.id as string]]), 1, 10);
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: [
      {
        itemId: second?.id as string,
        userKey: 'p:u',
        expectedVersion: 1,
        data: state,
        effects: [effects[0] as (typeof effects)[number]],
      },
    ],
  });
  const slow = senderPausingFor(3_600_000);
  let on = true;
  const alertsBefore = alerts.length;
  const stopping = slow.run(
    0,
    token,
    () => on,
    (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  );
  await waitFor('the second alert', () => (alerts.length > alertsBefore ? true : undefined));
  on = false;
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await waitFor('the sender stopped without waiting out the pause', () => (stopped ? true : undefined));
  graph.close();
  await fake.stop();
});

/** A failing Graph API ends the round: only the users already in flight are tried, not all of them. */
it('a failure ends the round for every lane: an outage costs one attempt per lane, not one per user', async () => {
  // Without the client's breaker (tests/messenger/graphBreaker.test.ts): this is the sender's own guard.
  const { fake, graph, close } = await openFakeGraph();
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const users = Array.from({ length: 12 }, (_, i) => `u${i}`);
  const token = await seedOutbox(store, users, () => [
    { type: 'send', message: { text: 'hi' }, messaging: 'UPDATE', promotional: false },
  ]);

  // A plain 500 (unlike 613 or 190) pauses no bucket: only the round's end keeps the sender from
  // trying every user of the partition in turn.
  fake.fail.nextRequests(10_000);
  const logger = pino({ level: 'silent' });
  const sender = new OutboxSender({
    store,
    graph,
    pageId: 'p',
    partitions: 16,
    logger,
    metrics: createMetrics(),
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    rates: { text: 100, media: 10, burst: 10 },
  });
  let active = true;
  const running = sender.run(
    0,
    token,
    () => active,
    (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  );
  // Each user's first call is refused; round after round the same first users are retried. The
  // first user to fail might be failing alone (then only they wait and their lane takes one more
  // user); the second failure in the round shows an outage and ends the round for everyone.
  const attempted = () =>
    new Set(fake.calls.map((c) => (c.body as { recipient?: { id?: string } } | undefined)?.recipient?.id)).size;
  // A round makes at most DEFAULT_USERS_IN_FLIGHT + 1 calls: once there are more calls than two
  // rounds can make, at least three rounds have run.
  try {
    await waitFor('three rounds of refused calls', () =>
      fake.calls.filter((c) => c.status !== 200).length > 2 * (DEFAULT_USERS_IN_FLIGHT + 1) ? true : undefined,
    );
    const attempts = attempted();
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(DEFAULT_USERS_IN_FLIGHT + 1);
  } finally {
    active = false;
  }
  await running;
  await close();
});
