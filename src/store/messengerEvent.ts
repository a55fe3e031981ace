/**
 * One Messenger webhook event, as Talkshop routes it. `raw` is the event object exactly as Meta
 * sent it (unknown fields kept) so later stages read what they need without a second parse.
 */
export const EVENT_KINDS = [
  'message',
  'quick_reply',
  'echo',
  'postback',
  'referral',
  'optin',
  'delivery',
  'read',
  'reaction',
  'pass_thread_control',
  'take_thread_control',
  'request_thread_control',
  // A comment on a Page post, or a visitor's post on the Page (a feed `changes[]` item, webhook/parseFeed.ts).
  // Its lane is the commenter's feed id (`feed:<id>`), not a PSID: see runtime/commentLane.ts.
  'comment',
  // Internal: written by the sender, never parsed from a webhook. How our pass_thread_control went.
  'handover_result',
  // Internal: an admin API command (pause, resume, a person's reply), applied in the user's lane.
  'admin_command',
  // Internal: a timer (e.g. the handover inactivity timeout) that came due.
  'timer_fired',
  // Internal: a broadcast reached this user (raw { broadcast: id, test?: true }), from the fan-out.
  'broadcast',
  // Internal: the answer to a flow's request (raw { id, outcome, status?, json? }), from the requester.
  'request_result',
  // Internal: the language model's choice among the questions (raw { id, outcome, question? }), from the requester.
  'question_choice',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** `messaging` when we own the thread; `standby` while another app (e.g. the Page Inbox) owns it. */
export type Channel = 'messaging' | 'standby';

export interface MessengerEvent {
  readonly kind: EventKind;
  readonly channel: Channel;
  readonly pageId: string;
  /** PSID of the customer (for echoes: the recipient), or the `user_ref` of a plugin opt-in. */
  readonly userId: string;
  /** Meta's event time in ms; the entry time when the event has none (e.g. some deliveries). */
  readonly timestamp: number;
  /** Stable across Meta's redeliveries of the same event; see dedupeKeyOf(). */
  readonly dedupeKey: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The kinds Talkshop writes itself (never parsed from a webhook). */
export type InternalKind = Extract<
  EventKind,
  'handover_result' | 'admin_command' | 'timer_fired' | 'broadcast' | 'request_result' | 'question_choice'
>;

/**
 * An event Talkshop writes into a user's lane itself (a sender report, an admin command, a timer),
 * shaped like Meta's so the worker applies it like any other. `dedupeKey` makes a replay one event.
 */
export function internalEvent(
  kind: InternalKind,
  pageId: string,
  psid: string,
  at: number,
  dedupeKey: string,
  raw: Readonly<Record<string, unknown>>,
): MessengerEvent {
  return { kind, channel: 'messaging', pageId, userId: psid, timestamp: at, dedupeKey, raw };
}
