import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GET_STARTED_PAYLOAD } from '../engine/payloads';
import { chars, LIMITS } from '../platform/sendApiSchema';

/**
 * What the demo page asks the demo to send as one of its simulated customers (POST
 * /demo/api/events), and the webhook body Meta would post for it. The page never signs anything:
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
]);
export type DemoAction = z.infer<typeof demoActionSchema>;

/** An m.me link's referral, as Meta describes it (source SHORTLINK, type OPEN_THREAD). */
const shortlink = (r: string) => ({ ref: r, source: 'SHORTLINK', type: 'OPEN_THREAD' });

/** The messaging event Meta would deliver for the action, without sender, recipient and time. */
function eventFor(action: DemoAction, mid: string): Record<string, unknown> {
  switch (action.type) {
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

/** The webhook body (JSON text) Meta would POST for one customer action on `pageId` at `now`. */
export function demoWebhookBody(action: DemoAction, pageId: string, now: number, mid = `m_demo_${randomUUID()}`): string {
  const event = { sender: { id: action.customer }, recipient: { id: pageId }, timestamp: now, ...eventFor(action, mid) };
  return JSON.stringify({ object: 'page', entry: [{ id: pageId, time: now, messaging: [event] }] });
}
