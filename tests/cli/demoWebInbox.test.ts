/**
 * The demo page's Page Inbox and reaction actions (src/cli/demoWebEvents.ts): the webhook body
 * Meta would post for a customer's reaction, a person's reply in the Page Inbox (an echo from the
 * Page Inbox app, on standby while the Inbox owns the thread) and Done (control passed back to the
 * bot's app), each read back by the service's own parser and event reader.
 */
import { demoActionSchema, demoWebhookBody, type DemoAction, type DemoDelivery } from '../../src/cli/demoWebEvents';
import { PAGE_INBOX_APP_ID } from '../../src/platform/messagingRules';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { parseWebhook } from '../../src/webhook/parseWebhook';

const PAGE = 'demo-page';
const APP = 'demo-app';
const NOW = 1_790_000_000_000;
const INBOX_OWNS: DemoDelivery = { appId: APP, inboxOwnsThread: true };
const BOT_OWNS: DemoDelivery = { appId: APP, inboxOwnsThread: false };

function readBack(action: DemoAction, delivery: DemoDelivery) {
  const text = demoWebhookBody(action, PAGE, NOW, 'm_1', delivery);
  const parsed = parseWebhook(JSON.parse(text) as unknown, NOW, { pageId: PAGE, oldestMs: NOW - 60_000, maxEvents: 10 });
  if (parsed.type !== 'ok') throw new Error(`parseWebhook: ${parsed.type}`);
  expect(parsed.ignored).toEqual([]);
  expect(parsed.events).toHaveLength(1);
  const event = parsed.events[0]!;
  expect(event.userId).toBe(action.customer);
  return { event, engine: toEngineEvent(event, APP) };
}

it("a customer's reaction names the bot's message: a reaction event (Messenger's shape, as in the fixture)", () => {
  const { event, engine } = readBack(
    { customer: 'c-1', type: 'reaction', mid: 'm_fake_1_2', reaction: 'love', action: 'react' },
    BOT_OWNS,
  );
  expect(event.kind).toBe('reaction');
  expect(event.raw).toMatchObject({ reaction: { reaction: 'love', emoji: '\u2764\ufe0f', action: 'react', mid: 'm_fake_1_2' } });
  expect(engine).toMatchObject({ type: 'reaction', at: NOW });
});

it("a Page Inbox reply is the Page's echo from the Page Inbox app, on standby while the Inbox owns the thread: a person's message", () => {
  const action: DemoAction = { customer: 'c-1', type: 'inbox_reply', text: 'Hi, Sam here' };
  const { event, engine } = readBack(action, INBOX_OWNS);
  expect([event.kind, event.channel]).toEqual(['echo', 'standby']);
  expect(event.raw).toMatchObject({
    sender: { id: PAGE },
    recipient: { id: 'c-1' },
    message: { is_echo: true, app_id: Number(PAGE_INBOX_APP_ID), text: 'Hi, Sam here' },
  });
  expect(engine).toEqual({ type: 'agent_message', text: 'Hi, Sam here' });
  // A person typing in the Inbox while the bot owns the thread: the echo comes on messaging.
  expect(readBack(action, BOT_OWNS).event.channel).toBe('messaging');
});

it('Done in the Page Inbox passes the thread back to the bot, on messaging: control returned', () => {
  const { event, engine } = readBack({ customer: 'c-1', type: 'inbox_done' }, INBOX_OWNS);
  expect([event.kind, event.channel]).toEqual(['pass_thread_control', 'messaging']);
  expect(event.raw).toMatchObject({
    pass_thread_control: { new_owner_app_id: APP, previous_owner_app_id: PAGE_INBOX_APP_ID },
  });
  expect(engine).toEqual({ type: 'control_returned', at: NOW });
});

it.each([
  ['a reaction Messenger does not name', { customer: 'c-1', type: 'reaction', mid: 'm_1', reaction: 'party', action: 'react' }],
  ['a reaction without a message id', { customer: 'c-1', type: 'reaction', reaction: 'love', action: 'react' }],
  ['a message id with a space', { customer: 'c-1', type: 'reaction', mid: 'm 1', reaction: 'love', action: 'react' }],
  ['an empty Inbox reply', { customer: 'c-1', type: 'inbox_reply', text: '' }],
  ['an Inbox reply over 2,000 characters', { customer: 'c-1', type: 'inbox_reply', text: 'x'.repeat(2001) }],
  ['Done with a text', { customer: 'c-1', type: 'inbox_done', text: 'bye' }],
])('refuses %s', (_what, body) => expect(demoActionSchema.safeParse(body).success).toBe(false));
