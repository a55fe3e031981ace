import { createMetrics } from '../../src/metrics';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { openFakeGraph } from '../support/fakeGraph';
import { seedOutbox } from '../support/seedOutbox';
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
  let clock = 1_000_000; // the breaker's clock: frozen, so it stays open until the test moves it
  const { fake, graph, close } = await openFakeGraph({ breaker: { threshold: 5, baseMs: 40, now: () => clock } });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const metrics = createMetrics();
  const users = Array.from({ length: USERS }, (_, i) => `u${i}`);
  const token = await seedOutbox(store, users, (u) => [
    { type: 'send', message: { text: `hi ${u}` }, messaging: 'UPDATE', promotional: false },
  ]);
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
    await close();
  }
});
