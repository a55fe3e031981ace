import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GET_STARTED_PAYLOAD } from '../engine/payloads';
import { PAGE_INBOX_APP_ID } from '../platform/messagingRules';
import { chars, LIMITS } from '../platform/sendApiSchema';

/**
 * What the demo page asks the demo to send as one of its simulated customers, or as a person in
 * the Page Inbox answering one (POST /demo/api/events), and the webhook body Meta would post for it. The page never signs anything:
 * the demo builds the body, signs it with its app secret and posts it to its own webhook, so what
 * the bot sees is exactly what Meta's delivery would be (docs/messenger-platform.md §2).
 */

/** A simulated customer's PSID as the page makes them: short, and safe in a URL and a log. */
export const demoCustomerId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "-" or "_"')
  .describe("the simulated customer's PSID");

/** Meta caps an m.me ref at 2,083 characters of URL; a demo's ref is a short word such as summer-sale. */
export const REF_MAX = 250;
const ref = z.string().regex(/^[A-Za-z0-9_.~-]{1,250}$/, `must be 1 to ${REF_MAX} letters, digits or - _ . ~`);

/** The reactions Messenger names in a `reaction` webhook event; its emoji for each. */
export const REACTION_EMOJI = {
  love: '\u2764\ufe0f',
  like: '\u{1F44D}',
  smile: '\u{1F606}',
  wow: '\u{1F62E}',
  sad: '\u{1F622}',
  angry: '\u{1F620}',
} as const;
const REACTIONS = Object.keys(REACTION_EMOJI) as [keyof typeof REACTION_EMOJI, ...Array<keyof typeof REACTION_EMOJI>];
/** A message id as the fake Graph API gives them (m_fake_…); Meta's are longer, still far under this. */
const mid = z.string().regex(/^[A-Za-z0-9_.:=+/-]{1,200}$/, 'must be a message id (1 to 200 characters)');

export const demoActionSchema = z.discriminatedUnion('type', [
  /** The customer typed and sent a message. */
  z.strictObject({ customer: demoCustomerId, type: z.literal('text'), text: chars(LIMITS.text) }),
  /** The customer tapped a quick reply: Meta sends its title as the text, with the payload. */
  z.strictObject({
    customer: demoCustomerId,
    type: z.literal('quick_reply'),
    title: chars(LIMITS.quickReplyTitle),
    payload: chars(LIMITS.payload),
  }),
  /** The customer tapped a postback button (a card's, a button template's, the persistent menu's). */
  z.strictObject({
    customer: demoCustomerId,
    type: z.literal('postback'),
    title: chars(LIMITS.buttonTitle),
    payload: chars(LIMITS.payload),
  }),
  /** A new customer tapped Get Started, perhaps on a thread opened by an m.me link with a ref. */
  z.strictObject({ customer: demoCustomerId, type: z.literal('get_started'), ref: ref.optional() }),
  /** A customer who has talked before opened an m.me link with a ref (Meta sends a referral event). */
  z.strictObject({ customer: demoCustomerId, type: z.literal('ref'), ref }),
  /** The customer reacted to one of the bot's messages (or took their reaction back). */
  z.strictObject({
    customer: demoCustomerId,
    type: z.literal('reaction'),
    mid,
    reaction: z.enum(REACTIONS),
    action: z.enum(['react', 'unreact']),
  }),
  /** A person in the Page Inbox replied to the customer (Meta sends the Page's apps an echo from the Page Inbox app). */
  z.strictObject({ customer: demoCustomerId, type: z.literal('inbox_reply'), text: chars(LIMITS.text) }),
  /** A person moved the conversation to Done in the Page Inbox (Meta passes thread control back to the bot's app). */
  z.strictObject({ customer: demoCustomerId, type: z.literal('inbox_done') }),
]);
export type DemoAction = z.infer<typeof demoActionSchema>;

/** An m.me link's referral, as Meta describes it (source SHORTLINK, type OPEN_THREAD). */
const shortlink = (r: string) => ({ ref: r, source: 'SHORTLINK', type: 'OPEN_THREAD' });

/** Where Meta's delivery goes: the bot's app id, and whether the Page Inbox owns the customer's thread now. */
export interface DemoDelivery {
  readonly appId: string;
  readonly inboxOwnsThread: boolean;
}

/** The messaging event Meta would deliver for the action, without sender, recipient and time. */
function eventFor(action: DemoAction, mid: string, delivery: DemoDelivery): Record<string, unknown> {
  switch (action.type) {
    case 'reaction':
      return {
        reaction: { reaction: action.reaction, emoji: REACTION_EMOJI[action.reaction], action: action.action, mid: action.mid },
      };
    case 'inbox_reply':
      // Meta sends app ids as numbers; the Page Inbox's is a safe integer.
      return { message: { is_echo: true, app_id: Number(PAGE_INBOX_APP_ID), mid, text: action.text } };
    case 'inbox_done':
      return { pass_thread_control: { new_owner_app_id: delivery.appId, previous_owner_app_id: PAGE_INBOX_APP_ID } };
    case 'text':
      return { message: { mid, text: action.text } };
    case 'quick_reply':
      return { message: { mid, text: action.title, quick_reply: { payload: action.payload } } };
    case 'postback':
      return { postback: { mid, title: action.title, payload: action.payload } };
    case 'get_started':
      return {
        postback: {
          mid,
          title: 'Get Started',
          payload: GET_STARTED_PAYLOAD,
          ...(action.ref === undefined ? {} : { referral: shortlink(action.ref) }),
        },
      };
    case 'ref':
      return { referral: shortlink(action.ref) };
  }
}

const BOT_OWNS: DemoDelivery = { appId: '', inboxOwnsThread: false };

/**
 * The webhook body (JSON text) Meta would POST for one action on `pageId` at `now`. An echo is the
 * Page's own message, so the Page is its sender and the customer its recipient. While another app
 * (the Page Inbox) owns the thread, the bot's app gets the customer's events and the echoes on
 * `standby` (docs/messenger-platform.md, "standby"); the event that hands the thread back comes on `messaging`.
 */
export function demoWebhookBody(
  action: DemoAction,
  pageId: string,
  now: number,
  mid = `m_demo_${randomUUID()}`,
  delivery: DemoDelivery = BOT_OWNS,
): string {
  const [sender, recipient] = action.type === 'inbox_reply' ? [pageId, action.customer] : [action.customer, pageId];
  const event = { sender: { id: sender }, recipient: { id: recipient }, timestamp: now, ...eventFor(action, mid, delivery) };
  const channel = delivery.inboxOwnsThread && action.type !== 'inbox_done' ? 'standby' : 'messaging';
  return JSON.stringify({ object: 'page', entry: [{ id: pageId, time: now, [channel]: [event] }] });
}
