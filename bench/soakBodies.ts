/**
 * The webhook bodies the soak's customers, agents and Meta send (docs/messenger-platform.md §2;
 * shapes as in tests/fixtures/webhooks). Each body is one event in one entry, as Meta mostly sends
 * them; `at` is both the entry's and the event's time, so a redelivery (the same string posted
 * again) hashes to the same dedupe key.
 */
import { PAGE_INBOX_APP_ID } from '../src/platform/messagingRules';

type Channel = 'messaging' | 'standby';

const envelope = (pageId: string, at: number, channel: Channel, event: Record<string, unknown>): string =>
  JSON.stringify({ object: 'page', entry: [{ id: pageId, time: at, [channel]: [{ timestamp: at, ...event }] }] });

const fromUser = (pageId: string, psid: string) => ({ sender: { id: psid }, recipient: { id: pageId } });

export const soakBodies = {
  text: (pageId: string, psid: string, at: number, mid: string, text: string): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), message: { mid, text } }),
  quickReply: (pageId: string, psid: string, at: number, mid: string, title: string, payload: string): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), message: { mid, text: title, quick_reply: { payload } } }),
  postback: (pageId: string, psid: string, at: number, mid: string, title: string, payload: string): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), postback: { mid, title, payload } }),
  /** An m.me link with `?ref=` opened in an existing thread. */
  refLink: (pageId: string, psid: string, at: number, ref: string): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), referral: { ref, source: 'SHORTLINK', type: 'OPEN_THREAD' } }),
  /** The customer writes while the Page Inbox owns the thread: Meta delivers it on standby. */
  standbyText: (pageId: string, psid: string, at: number, mid: string, text: string): string =>
    envelope(pageId, at, 'standby', { ...fromUser(pageId, psid), message: { mid, text } }),
  /** A person replies from the Page Inbox: an echo with the Inbox app's id, on standby (we do not own the thread). */
  agentEcho: (pageId: string, psid: string, at: number, mid: string, text: string): string =>
    envelope(pageId, at, 'standby', {
      sender: { id: pageId },
      recipient: { id: psid },
      message: { is_echo: true, app_id: Number(PAGE_INBOX_APP_ID), mid, text },
    }),
  /** The person pressed Done: the Page Inbox passes the thread back to our app. */
  passedBack: (pageId: string, psid: string, at: number, appId: string): string =>
    envelope(pageId, at, 'messaging', {
      ...fromUser(pageId, psid),
      pass_thread_control: { new_owner_app_id: appId, previous_owner_app_id: PAGE_INBOX_APP_ID, metadata: 'done' },
    }),
  delivery: (pageId: string, psid: string, at: number, mids: readonly string[]): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), delivery: { mids, watermark: at } }),
  read: (pageId: string, psid: string, at: number): string =>
    envelope(pageId, at, 'messaging', { ...fromUser(pageId, psid), read: { watermark: at } }),
};
