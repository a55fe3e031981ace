import pino from 'pino';
import type { Counter } from 'prom-client';
import { EFFECT_TYPES, type EffectType, type EngineEffect } from '../../src/engine/effects';
import { initialUserState } from '../../src/engine/userState';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createGraphClient, type GraphClient } from '../../src/messenger/graphClient';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import type { Store, StoredEffect } from '../../src/store/ports';
import { streamIdAfter } from '../../src/store/records';
import { ALL_EFFECTS } from '../engine/effectSamples';
import { waitFor } from '../support/webhookClient';

/** What the sender does with each kind of outbox entry: known kinds by name, a newer release's left in place. */
interface Rig {
  readonly fake: FakeGraphApi;
  readonly graph: GraphClient;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  readonly token: string;
  stop(): Promise<void>;
}

let rig: Rig;
let items = 0;

beforeEach(async () => {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  const graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  const store = createMemoryStore({ dedupeTtlSeconds: 60 });
  const metrics = createMetrics();
  const logs: Rig['logs'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  let active = true;
  const sender = new OutboxSender({
    store,
    graph,
    pageId: 'p',
    partitions: 1,
    logger,
    metrics,
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    rates: { text: 1000, media: 100, burst: 100 },
    heldRetryMs: 100,
  });
  const running = sender.run(
    0,
    token,
    () => active,
    (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
  );
  const stop = async () => {
    active = false;
    await running;
    graph.close();
    await fake.stop();
  };
  rig = { fake, graph, store, metrics, logs, token, stop };
});
afterEach(() => rig.stop());

/** Commits one inbox item of `user` with these outbox entries; the user wrote just now (the window is open). */
async function commit(user: string, effects: readonly StoredEffect[]): Promise<void> {
  const { store, token } = rig;
  const dedupeKey = `mid:${++items}`;
  const now = Date.now();
  const event = {
    kind: 'message' as const,
    channel: 'messaging' as const,
    pageId: 'p',
    userId: user,
    timestamp: now,
    dedupeKey,
    raw: {},
  };
  await store.inbox.append([{ partition: 0, dedupeKey, record: { source: 'webhook', event } }]);
  const [item] = await store.inbox.readNew(new Map([[0, await store.inbox.cursor(0)]]), 10, 10);
  const { version } = await store.states.load(0, `p:${user}`);
  const data = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  const outcome = await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: [{ itemId: item?.id ?? '', userKey: `p:${user}`, expectedVersion: version, data, effects }],
  });
  expect(outcome).toEqual({ type: 'committed', applied: [true] });
}

const send = (text: string): StoredEffect =>
  encodeEffect({ type: 'send', message: { text }, messaging: 'RESPONSE', promotional: false });
const texts = (user: string) => rig.fake.sentMessages(user).map((c) => (c.body as { message: { text?: string } }).message.text);
const count = async (counter: Counter<string>, labels: Record<string, string>) =>
  (await counter.get()).values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
const outboxIds = async () => (await rig.store.states.readOutbox(0, '0-0', 1000)).map((e) => e.id);

describe.each([
  ['kind', { v: 1, body: { type: 'broadcast', audience: 'vip' } }],
  ['version', { v: 2, body: { type: 'send', message: { text: 'a newer send' }, messaging: 'RESPONSE' } }],
] as const)('an outbox entry of a %s this code does not know', (reason, newer) => {
  it("is left in place, counted once, and its user's later entries wait for it; other users go on", async () => {
    await commit('a', [send('a1'), newer, send('a2')]);
    await commit('b', [send('b1')]);
    const held = { store: 'outbox', reason };
    await waitFor('a1, b1 and the entry held', async () =>
      texts('a').length === 1 && texts('b').length === 1 && (await count(rig.metrics.recordsHeld, held)) === 1 ? true : undefined,
    );
    const heldId = (await outboxIds())[0] as string;
    // Another user's entry committed after the hold goes out past it, while user a still waits.
    await commit('b', [send('b2')]);
    // b2 reaches the fake before its entry is recorded as done: wait for the record, not the call.
    const entriesOf = async (user: string) =>
      (await rig.store.states.readOutbox(0, '0-0', 1000)).filter((e) => e.userKey === `p:${user}`);
    await waitFor('b2 sent and recorded', async () =>
      texts('b').length === 2 && (await entriesOf('b')).length === 0 ? true : undefined,
    );
    expect(texts('a')).toEqual(['a1']);
    expect(await outboxIds()).toHaveLength(2); // the held entry and a2 behind it
    expect((await outboxIds())[0]).toBe(heldId);
    expect(streamIdAfter(heldId, await rig.store.states.outboxCursor(0))).toBe(true); // the cursor has not passed it
    expect(await count(rig.metrics.recordsHeld, held)).toBe(1);
    expect(rig.logs.filter((l) => l.msg.includes('newer Talkshop'))).toHaveLength(1);

    // A worker that knows the entry handles it (here: takes it out of the outbox); user a's lane goes on.
    expect(await rig.store.states.ackOutbox(0, rig.token, [{ id: heldId }], 'stay')).toBe(true);
    await waitFor('a2', () => (texts('a').length === 2 ? true : undefined));
    expect(texts('a')).toEqual(['a1', 'a2']);
    await waitFor('the outbox empty and passed', async () => ((await outboxIds()).length === 0 ? true : undefined));
    await commit('a', [send('a3')]);
    await waitFor('a3', () => (texts('a').length === 3 ? true : undefined));
    const cursor = await rig.store.states.outboxCursor(0);
    expect(streamIdAfter(cursor, heldId)).toBe(true);
  });
});

/** What the sender does with each kind; typed by kind, so a new kind needs its line here too. */
const OUTCOMES: { readonly [K in EffectType]: string } = {
  send: 'sent',
  typing: 'sent',
  mark_seen: 'sent',
  handover: 'passed',
  schedule: 'scheduled',
  cancel_timer: 'cancelled',
  consent: 'not_a_send',
  sequence: 'not_a_send',
  sequence_timer: 'scheduled',
  notify: 'no_notifier',
  request: 'no_requester',
  classify_question: 'no_requester',
  webhook: 'no_webhook_queue',
  warning: 'logged',
  unmatched: 'counted',
  private_reply: 'sent',
  comment_reply: 'sent',
  comment_skipped: 'too_old',
};

it('handles every kind the engine knows by name, each with its own outcome', async () => {
  await commit('c', ALL_EFFECTS.map(encodeEffect));
  await waitFor('every entry finished', async () => ((await outboxIds()).length === 0 ? true : undefined));
  const finished = (await rig.metrics.deliveries.get()).values.map((v) => [v.labels.type, v.labels.outcome, v.value]);
  expect(finished.sort()).toEqual(
    Object.entries(OUTCOMES)
      .map(([type, outcome]) => [type, outcome, 1])
      .sort(),
  );
  expect([...EFFECT_TYPES].sort()).toEqual(Object.keys(OUTCOMES).sort());
});

it('acks consent and sequence as deliberately not sent, and logs and counts a warning', async () => {
  const effects: EngineEffect[] = [
    { type: 'consent', topic: 'deals', subscribed: true, source: 'flow:shop/optin' },
    { type: 'sequence', action: 'start', sequence: 'welcome' },
    { type: 'warning', code: 'missing_node', detail: 'no node shop/gone' },
    { type: 'send', message: { text: 'after them' }, messaging: 'RESPONSE', promotional: false },
  ];
  await commit('d', effects.map(encodeEffect));
  await waitFor('the send behind them', () => (texts('d').length === 1 ? true : undefined));
  await waitFor('every entry acked', async () => ((await outboxIds()).length === 0 ? true : undefined));
  expect(await count(rig.metrics.deliveries, { type: 'consent', outcome: 'not_a_send' })).toBe(1);
  expect(await count(rig.metrics.deliveries, { type: 'sequence', outcome: 'not_a_send' })).toBe(1);
  expect(await count(rig.metrics.deliveries, { type: 'warning', outcome: 'logged' })).toBe(1);
  expect(await count(rig.metrics.engineWarnings, { code: 'missing_node' })).toBe(1);
  const warning = rig.logs.find((l) => l.msg === 'flow engine warning');
  expect(warning).toMatchObject({ level: 40, code: 'missing_node', detail: 'no node shop/gone' });
  expect(rig.fake.calls.filter((c) => c.endpoint === 'messages')).toHaveLength(1);
});

it('drops an unreadable entry (a known kind with a bad shape, or no kind) as before, and counts it', async () => {
  const badSend = { v: 1, body: { type: 'send', message: { text: '' }, messaging: 'RESPONSE', promotional: false } };
  await commit('e', [badSend, { v: 1, body: { kind: 'send' } }, send('e1')]);
  await waitFor('the good send', () => (texts('e').length === 1 ? true : undefined));
  await waitFor('every entry acked', async () => ((await outboxIds()).length === 0 ? true : undefined));
  expect(await count(rig.metrics.deliveries, { type: 'send', outcome: 'invalid_dropped' })).toBe(1);
  expect(await count(rig.metrics.deliveries, { type: 'unreadable', outcome: 'invalid_dropped' })).toBe(1);
  expect(await count(rig.metrics.recordsHeld, {})).toBe(0);
});
