import type { BroadcastMark } from '../../src/engine/broadcastSend';
import type { EngineEffect } from '../../src/engine/effects';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { createMetrics, type Metrics } from '../../src/metrics';
import { BroadcastBook } from '../../src/runtime/broadcastBook';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { runOnPartition0, testSenderOptions } from '../support/testSender';
import type { SenderOptions } from '../../src/runtime/senderOptions';
import { tombstoneIdOf } from '../../src/store/keys';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { BroadcastStore, Store } from '../../src/store/ports';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startTestGraphApi, testGraphClient } from '../support/testGraphApi';
import { waitFor } from '../support/webhookClient';

/**
 * The sender's side of a broadcast: the policy again at the moment of sending (a consent withdrawn
 * after the lane queued it), an erased user, a cancelled broadcast, a tag outside the window, a
 * test send counted nowhere; each outcome counted once with the ack.
 */
const NOW = Date.UTC(2026, 10, 23, 12);
let fake: FakeGraphApi;
let store: Store & { broadcasts: BroadcastStore };
let token: string;
let item = 0;

const user = (over: Partial<UserState>): UserState => ({
  ...initialUserState(),
  inbound: 1,
  lastInboundAt: NOW - 3_600_000,
  windowEndsAt: NOW + 20 * 3_600_000,
  consent: { offers: { subscribed: true, at: NOW - 3_600_000, source: 'test' } },
  ...over,
});

/** Commits a user's state with one broadcast send effect in their outbox (what the lane produces). */
async function queued(psid: string, state: UserState | null, mark: BroadcastMark, promotional = true): Promise<void> {
  const effect: EngineEffect = {
    type: 'send',
    message: { text: `${mark.id} for ${psid}` },
    messaging: 'UPDATE',
    promotional,
    broadcast: mark,
  };
  item += 1;
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: [
      {
        itemId: `1-${item}`,
        userKey: `p:${psid}`,
        expectedVersion: 0,
        data: state,
        ...(state ? {} : { writeState: false as const }),
        effects: [encodeEffect(effect)],
      },
    ],
  });
}

const definition = (id: string) =>
  JSON.stringify({ id, name: id, kind: 'promotional', topic: 'offers', audience: { all: [] }, messages: [{ text: 'x' }] });

beforeAll(async () => {
  fake = await startTestGraphApi({ pageId: 'p' });
});
afterAll(() => fake.stop());

/** The sender on partition 0 of `store`, against the fake; `stop` ends it and closes its client. */
function runSender(over: Partial<SenderOptions> = {}): { stop: () => Promise<void>; metrics: Metrics } {
  const graph = testGraphClient(fake, { pageId: 'p' });
  const metrics = createMetrics();
  const sender = new OutboxSender(
    testSenderOptions(store, graph, {
      metrics,
      now: () => NOW,
      broadcasts: new BroadcastBook(store.broadcasts, { proactive_caps: {} }),
      ...over,
    }),
  );
  const run = runOnPartition0(sender, token);
  return {
    metrics,
    stop: async () => {
      await run.stop();
      graph.close();
    },
  };
}

it('re-checks each send against the user at that moment and counts every outcome once', async () => {
  store = createMemoryStore({ dedupeTtlSeconds: 60 }) as Store & { broadcasts: BroadcastStore };
  token = (await store.leases.acquire(0, 'w', 600_000)) as string;
  for (const [id, status] of [
    ['promo', 'running'],
    ['gone', 'cancelled'],
  ] as const)
    await store.broadcasts.create({
      id,
      definition: definition(id),
      status,
      createdAt: NOW,
      createdBy: 't',
      startAt: NOW,
      updatedAt: NOW,
    });
  const promo: BroadcastMark = { id: 'promo', kind: 'promotional', topic: 'offers' };
  await queued('ok', user({}), promo);
  // Withdrew consent a second after the lane queued the broadcast (their state now says so).
  await queued('withdrew', user({ consent: { offers: { subscribed: false, at: NOW, source: 'keyword' } } }), promo);
  await queued('closed', user({ windowEndsAt: NOW - 1 }), promo);
  await queued('human', user({ thread: 'human' }), promo);
  await queued('erased', null, promo);
  await queued('cancelled', user({}), { id: 'gone', kind: 'promotional', topic: 'offers' });
  await queued('tagged', user({ windowEndsAt: NOW - 1 }), { id: 'promo', kind: 'tagged', tag: 'POST_PURCHASE_UPDATE' }, false);
  await queued('tester', user({}), { ...promo, test: true });
  // An erased user who wrote again: the tombstone keeps every broadcast from them.
  item += 1;
  await store.states.forget(0, token, `1-${item}`, 'p:tomb', { id: tombstoneIdOf('p:tomb'), deletedAt: NOW });
  await queued('tomb', user({}), promo);

  const sender = runSender();
  try {
    await waitFor('the outbox is empty', async () => ((await store.states.outboxBacklog(0)) === 0 ? true : undefined));
    expect(await store.broadcasts.stats('promo', [0])).toEqual({
      sent: 2,
      'skipped:no_consent': 1,
      'skipped:outside_window': 1,
      'skipped:human_owns_thread': 1,
      'skipped:deleted': 2,
    });
    expect(await store.broadcasts.stats('gone', [0])).toEqual({ 'skipped:cancelled': 1 });
    const sent = fake
      .sentMessages()
      .map((c) => [
        c.recipientId,
        (c.body as { messaging_type: string; tag?: string }).messaging_type,
        (c.body as { tag?: string }).tag,
      ]);
    expect(sent.sort()).toEqual([
      ['ok', 'UPDATE', undefined],
      ['tagged', 'MESSAGE_TAG', 'POST_PURCHASE_UPDATE'],
      ['tester', 'UPDATE', undefined],
    ]);
    // Bulk sends carry no typing indicator.
    expect(fake.calls.filter((c) => c.endpoint === 'sender_action')).toEqual([]);
  } finally {
    await sender.stop();
  }
});

it("sends a sequence's marketing_message steps under one campaign per sequence, made at Meta on the first one", async () => {
  store = createMemoryStore({ dedupeTtlSeconds: 60 }) as Store & { broadcasts: BroadcastStore };
  token = (await store.leases.acquire(0, 'w', 600_000)) as string;
  fake.marketing.addAdAccount('777');
  const mark: BroadcastMark = { id: 'seq.tips.weekly-1', kind: 'marketing_message', topic: 'tips', source: 'sequence' };
  for (const psid of ['m1', 'm2']) {
    fake.marketing.addToken({ token: `tok-${psid}`, psid, topic: 'tips', expiresAt: NOW + 90 * 86_400_000 });
    const state = user({
      consent: { tips: { subscribed: true, at: NOW, source: 'test' } },
      marketingTokens: { tips: { token: `tok-${psid}`, expiresAt: NOW + 90 * 86_400_000, status: 'active', at: NOW } },
      windowEndsAt: NOW - 1, // outside the window: only Marketing Messages may reach them
    });
    await queued(psid, state, mark, false);
  }
  const sender = runSender({ marketing: { adAccountId: '777' } });
  try {
    await waitFor('both steps finished', async () => ((await store.states.outboxBacklog(0)) === 0 ? true : undefined));
    expect(await store.broadcasts.stats('seq.tips.weekly-1', [0])).toEqual({ sent: 2 });
    const campaigns = fake.marketing.campaigns().filter((c) => c.adAccountId === '777');
    expect(campaigns).toHaveLength(1);
    expect(
      fake.marketing
        .sent()
        .map((s) => [s.psid, s.campaignId])
        .sort(),
    ).toEqual([
      ['m1', campaigns[0]?.id],
      ['m2', campaigns[0]?.id],
    ]);
    expect((await store.broadcasts.get('seq.tips'))?.campaign).toBe(campaigns[0]?.id);
  } finally {
    await sender.stop();
  }
});

it('a reply committed while the round waits for the Page’s rate goes out at once, not after the round', async () => {
  store = createMemoryStore({ dedupeTtlSeconds: 60 }) as Store & { broadcasts: BroadcastStore };
  token = (await store.leases.acquire(0, 'w', 600_000)) as string;
  await store.broadcasts.create({
    id: 'slow',
    definition: definition('slow'),
    status: 'running',
    createdAt: NOW,
    createdBy: 't',
    startAt: NOW,
    updatedAt: NOW,
  });
  const mark: BroadcastMark = { id: 'slow', kind: 'promotional', topic: 'offers' };
  for (const psid of ['b1', 'b2', 'b3', 'b4', 'b5']) await queued(psid, user({}), mark);
  // A token a second, room for 3: two bulk sends go at once, then the round's other two bulk lanes
  // wait in place (0.6 s, then 1 s more) for tokens above the live reserve.
  const sender = runSender({ rates: { text: 1, media: 1, burst: 3 } });
  const bulkSent = () => fake.sentMessages().filter((c) => c.recipientId?.startsWith('b')).length;
  try {
    await waitFor('two bulk sends out, the round waiting for the next token', () => (bulkSent() >= 2 ? true : undefined));
    const reply: EngineEffect = { type: 'send', message: { text: 'your answer' }, messaging: 'RESPONSE', promotional: false };
    item += 1;
    await store.states.commit({
      partition: 0,
      leaseToken: token,
      items: [{ itemId: `1-${item}`, userKey: 'p:live', expectedVersion: 0, data: user({}), effects: [encodeEffect(reply)] }],
    });
    await waitFor('the reply at the fake', () => (fake.sentMessages('live').length === 1 ? true : undefined), 4000);
    // It did not wait for the round to end (the round's last bulk send is due ~1.6 s after its start).
    expect(bulkSent()).toBeLessThan(4);
    expect(await sender.metrics.replyDelay.get()).toBeDefined();
  } finally {
    await sender.stop();
  }
});
