/**
 * A handover on one of two Pages (#18 acceptance; setup in tests/support/twoPagesSetup.ts). On
 * Page B (not the environment's, on a second app) a customer asks for a person: B's fake Graph API
 * takes the message and the pass_thread_control to the Page Inbox with B's token and proof; a
 * standby message on B gets no bot reply; meanwhile Page A's customer keeps getting answers; then
 * the Page Inbox hands the thread back and B's bot answers again. Every call carries its own Page's
 * token and appsecret_proof: each Page's fake checks both and is reached by token.
 */
import { textMessageBody } from '../../src/cli/sendEvent';
import { decodeUserState, type UserState } from '../../src/engine/userState';
import { PAGE_INBOX_APP_ID } from '../../src/platform/messagingRules';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { partitionsUpTo, settled } from '../support/settled';
import {
  APP_IDS,
  B_HANDOVER,
  B_HELLO,
  PAGE_A as A,
  PAGE_B as B,
  startTwoPages,
  type TwoPageId,
  type TwoPages,
} from '../support/twoPagesSetup';
import { waitFor } from '../support/webhookClient';

const PARTITIONS = 16; // testEnv's INBOX_PARTITIONS
const ON_A = 'psid-on-a';
const ON_B = 'psid-on-b';
let two: TwoPages;
let mids = 0;

beforeAll(async () => {
  two = await startTwoPages();
});
afterAll(async () => {
  await two?.stop();
});

async function post(page: TwoPageId, body: string): Promise<void> {
  const res = await two.post(page, body);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body}`);
}
const say = (page: TwoPageId, psid: string, text: string) =>
  post(page, textMessageBody(page, psid, text, Date.now(), `m_handover_${++mids}`));
/** A webhook entry for Page B, on its messaging or standby channel (docs/messenger-platform.md §2.7, §2.8). */
const onB = (channel: 'messaging' | 'standby', event: Record<string, unknown>) =>
  JSON.stringify({ object: 'page', entry: [{ id: B, time: Date.now(), [channel]: [{ timestamp: Date.now(), ...event }] }] });
const fromCustomer = { sender: { id: ON_B }, recipient: { id: B } };

const until = (what: string, check: () => boolean | Promise<boolean>) =>
  waitFor(what, async () => ((await check()) ? true : undefined));
const count = (page: TwoPageId, psid: string, text: string) => two.textsTo(page, psid).filter((t) => t.includes(text)).length;
const passes = () => two.fakes[B].calls.filter((c) => c.recipientId === ON_B && c.path.endsWith('/pass_thread_control'));
async function stateOnB(): Promise<UserState> {
  const store = two.service.pages.get(B)!.store;
  return decodeUserState((await store.states.load(partitionOf(B, ON_B, PARTITIONS), userKeyOf(B, ON_B))).data);
}

it("hands one Page's customer to a person while the other Page goes on answering, and takes them back", async () => {
  await say(B, ON_B, 'hi');
  await until("B's hello", () => count(B, ON_B, B_HELLO) === 1);

  // B's customer asks for a person: B's message, then the thread to the Page Inbox, on B's fake.
  await say(B, ON_B, 'person');
  await until('the pass to the Page Inbox', () => passes().length === 1);
  expect(passes()[0]?.body).toMatchObject({ recipient: { id: ON_B }, target_app_id: PAGE_INBOX_APP_ID });
  expect(two.textsTo(B, ON_B).at(-1)).toBe(B_HANDOVER);
  await until('B thread with a person', async () => (await stateOnB()).thread === 'human');

  // A standby message on B (the Page Inbox owns the thread): heard, never answered.
  const before = two.fakes[B].calls.filter((c) => c.recipientId === ON_B).length;
  await post(B, onB('standby', { ...fromCustomer, message: { mid: `m_handover_${++mids}`, text: 'still there?' } }));
  // Meanwhile A's customer is answered as ever.
  await say(A, ON_A, 'hi');
  await until("A's welcome", () => count(A, ON_A, 'Northwind Outfitters') === 1);
  await until('the standby message heard', async () =>
    (await stateOnB()).transcript.some((t) => t.from === 'user' && t.text === 'still there?'),
  );
  await settled(two.service.pages.get(B)!.store, partitionsUpTo(PARTITIONS));
  expect(two.fakes[B].calls.filter((c) => c.recipientId === ON_B).slice(before)).toEqual([]);
  expect((await stateOnB()).thread).toBe('human');

  // The person presses Done: the Page Inbox passes the thread back to B's app; B's bot says it is
  // back (the welcome-back) and answers again.
  const sentBefore = two.textsTo(B, ON_B).length;
  two.fakes[B].setThreadOwner(ON_B, APP_IDS[B]);
  await post(
    B,
    onB('messaging', {
      ...fromCustomer,
      pass_thread_control: { new_owner_app_id: APP_IDS[B], previous_owner_app_id: PAGE_INBOX_APP_ID, metadata: 'done' },
    }),
  );
  await until('B thread back with the bot', async () => (await stateOnB()).thread === 'bot');
  await until("B's welcome-back", () => two.textsTo(B, ON_B).length > sentBefore);
  await say(B, ON_B, 'hi');
  await until("B's hello again", () => count(B, ON_B, B_HELLO) === 2);
  await say(A, ON_A, 'hi');
  await until("A's second welcome", () => count(A, ON_A, 'Northwind Outfitters') === 2);

  // Every call reached its own Page's fake (by token), which accepted its token and appsecret_proof;
  // no call for one Page's customer went to the other Page's fake.
  for (const [page, psid, other] of [
    [A, ON_A, ON_B],
    [B, ON_B, ON_A],
  ] as const) {
    const calls = two.fakes[page].calls;
    expect(calls.filter((c) => c.recipientId === psid).length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
    expect(calls.filter((c) => c.recipientId === other)).toEqual([]);
  }
  // A's customer never met a thread-control call.
  expect(two.fakes[A].calls.filter((c) => /thread_control/.test(c.path))).toEqual([]);
});
