import { startFakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { initialUserState } from '../../src/engine/userState';
import { createGraphClient } from '../../src/messenger/graphClient';
import { createMetrics } from '../../src/metrics';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { runOnPartition0, testSenderOptions } from '../support/testSender';
import { waitFor } from '../support/webhookClient';

const USERS = 30;

/**
 * Graph answering 500 to everything: without the client's breaker every round would try users
 * until two failed, round after round, on every partition. With it, the calls stop after the
 * breaker's threshold, the sender keeps asking (each refusal costs no connection) and keeps every
 * entry, and once Graph answers again one probe reopens the way and everything goes out once.
 */
it('during a Graph outage the sender stops calling after the breaker opens, loses nothing, and delivers every entry once after', async () => {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  let clock = 1_000_000; // the breaker's clock: frozen, so it stays open until the test moves it
  const graph = createGraphClient({
    baseUrl: fake.url,
    version: 'v26.0',
    pageId: 'p',
    accessToken: 't',
    appSecret: 's',
    breaker: { threshold: 5, baseMs: 40, now: () => clock },
  });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const metrics = createMetrics();
  const now = Date.now();
  const users = Array.from({ length: USERS }, (_, i) => `u${i}`);
  await store.inbox.append(
    users.map((u) => ({
      partition: 0,
      dedupeKey: `mid:${u}`,
      record: {
        source: 'webhook' as const,
        event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: u, timestamp: now, dedupeKey: `mid:${u}`, raw: {} },
      },
    })),
  );
  const items = await store.inbox.readNew(new Map([[0, '0-0']]), USERS, 10);
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const state = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: items.map((item, i) => ({
      itemId: item.id,
      userKey: `p:${users[i]}`,
      expectedVersion: 0,
      data: state,
      effects: [encodeEffect({ type: 'send', message: { text: `hi ${users[i]}` }, messaging: 'UPDATE', promotional: false })],
    })),
  });
  const refusals = async (): Promise<number> =>
    (await metrics.graphErrors.get()).values.reduce((sum, v) => sum + v.value, 0) - fake.calls.length;

  fake.fail.nextRequests(1_000_000);
  const sender = runOnPartition0(new OutboxSender(testSenderOptions(store, graph, { metrics })), token);
  try {
    // Rounds go on being refused by the breaker; Graph saw only the calls that opened it.
    await waitFor('20 rounds refused by the open breaker', async () => ((await refusals()) >= 20 ? true : undefined));
    expect(fake.calls).toHaveLength(5);
    expect(await store.states.outboxBacklog(0)).toBe(USERS);

    fake.reset(); // Graph answers again
    clock += 60_000;
    await waitFor('every entry delivered', () => (fake.sentMessages().length >= USERS ? true : undefined));
    await waitFor('the outbox empty', async () => ((await store.states.outboxBacklog(0)) === 0 ? true : undefined));
    expect(
      fake
        .sentMessages()
        .map((c) => c.recipientId)
        .sort(),
    ).toEqual([...users].sort());
  } finally {
    await sender.stop();
    graph.close();
    await fake.stop();
  }
});
