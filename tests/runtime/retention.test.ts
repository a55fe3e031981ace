import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState, initialUserState, type UserState } from '../../src/engine/userState';
import { loadFlows } from '../../src/flows/loadFlows';
import { DAY_MS } from '../../src/platform/messagingRules';
import { expiryOf, flowHandler, trimTranscript } from '../../src/runtime/flowHandler';
import { startService, type RunningService } from '../../src/server';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { InboxItem } from '../../src/store/ports';
import { messengerText, T0 } from '../engine/engineFixtures';
import { partitionsUpTo, settled } from '../support/settled';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

/** TRANSCRIPT_RETENTION_DAYS and INACTIVE_USER_RETENTION_DAYS, from the handler to the store. */
const loaded = loadFlows('flows');
if (!loaded.ok) throw new Error('the shipped flows must load');
const flows = loaded.flowSet;

let n = 0;
const said = (text: string): InboxItem => {
  n += 1;
  return { id: `${n}-0`, partition: 0, record: { source: 'webhook', event: messengerText('u', text, n) } };
};
const linesOf = (s: UserState) => s.transcript.map((l) => l.text);

describe('transcript retention in the flow handler', () => {
  it('removes lines older than the setting on every write, with the clock the worker passes', () => {
    const kept = flowHandler(flows, { retention: { transcriptDays: 2 } });
    const forever = flowHandler(flows);
    const at = [T0, T0 + DAY_MS, T0 + 2 * DAY_MS + 3600_000];
    const texts = ['hello', 'order status', 'shipping'];
    let trimmed = initialUserState();
    let untouched = initialUserState();
    texts.forEach((text, i) => {
      trimmed = kept.handle(trimmed, said(text), at[i] as number).state;
      untouched = forever.handle(untouched, said(text), at[i] as number).state;
    });
    // The line from T0 is more than 2 days old at the third write: gone. The others stay.
    expect(linesOf(trimmed)).toEqual(['order status', 'shipping']);
    expect(linesOf(untouched)).toEqual(texts);
    // Any write trims, not only one that adds a line: a week later even the newest line goes.
    expect(trimTranscript(trimmed, T0 + 9 * DAY_MS).transcript).toEqual([]);
    expect(trimTranscript(untouched, T0 - 1)).toBe(untouched); // nothing to remove: the same object
  });
});

describe('inactive-user retention in the flow handler', () => {
  const state = (over: Partial<UserState>): UserState => ({ ...initialUserState(), ...over });

  it('expires a user N days after their own last action; the setting off gives no expiry', () => {
    const handler = flowHandler(flows, { retention: { inactiveUserDays: 30 } });
    expect(handler.expireAt?.(state({ lastInboundAt: T0 }), T0 + 5 * DAY_MS)).toBe(T0 + 30 * DAY_MS);
    // Never acted (a staff notice, a timer for a forgotten user): counted from the write.
    expect(handler.expireAt?.(state({ lastInboundAt: null }), T0)).toBe(T0 + 30 * DAY_MS);
    expect(flowHandler(flows).expireAt).toBeUndefined();
  });

  it('never expires a user whose thread is not with the bot (the thread list would name a user who is gone)', () => {
    for (const thread of ['handing_over', 'human', 'paused'] as const)
      expect(expiryOf(state({ thread, lastInboundAt: T0 }), T0, 1)).toBeUndefined();
    expect(expiryOf(state({ thread: 'bot', lastInboundAt: T0 }), T0, 1)).toBe(T0 + DAY_MS);
  });
});

describe('retention settings through the running service (memory store, moved clock)', () => {
  let fake: FakeGraphApi;
  let service: RunningService;
  let clock = Date.UTC(2026, 10, 23, 12);
  let mids = 0;
  const ALL = partitionsUpTo(16);

  beforeAll(async () => {
    fake = await startTestGraphApi();
    const config = testConfig({
      REDIS_URL: undefined,
      GRAPH_API_URL: fake.url,
      TRANSCRIPT_RETENTION_DAYS: '1',
      INACTIVE_USER_RETENTION_DAYS: '3',
    });
    const store = createMemoryStore({ dedupeTtlSeconds: config.DEDUPE_TTL_SECONDS, now: () => clock });
    service = await startService(config, { now: () => clock, store });
  });
  afterAll(async () => {
    await service.stop();
    await fake.stop();
  });

  const say = async (psid: string, text: string) => {
    await postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_ret_${++mids}`));
    await settled(service.store, ALL);
  };
  const load = (psid: string) => service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid));

  it('old transcript lines go on the next write; a user silent for longer than the setting is forgotten', async () => {
    await say('ret1', 'hello');
    await say('ret2', 'hello');
    clock += 2 * DAY_MS;
    await say('ret1', 'order status');
    const ret1 = await load('ret1');
    expect(ret1.version).toBe(2);
    expect(linesOf(decodeUserState(ret1.data))).toEqual(['order status']); // 'hello' was 2 days old
    expect(linesOf(decodeUserState((await load('ret2')).data))).toEqual(['hello']); // not written since

    clock += 2 * DAY_MS; // ret2 silent for 4 days, ret1 for 2
    expect(await load('ret2')).toEqual({ version: 0, data: null });
    expect((await load('ret1')).version).toBe(2);
    clock += 2 * DAY_MS;
    expect(await load('ret1')).toEqual({ version: 0, data: null });

    // Back after being forgotten: a new customer, greeted as one.
    await say('ret1', 'hello again');
    const back = await load('ret1');
    expect(back.version).toBe(1);
    expect(linesOf(decodeUserState(back.data))).toEqual(['hello again']);
  });
});
