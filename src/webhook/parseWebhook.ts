import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Channel, EventKind, MessengerEvent } from '../store/messengerEvent';
import { toFeedEvent, type FeedIgnoreReason } from './parseFeed';

/** Ids arrive as strings or numbers depending on the sender; we keep strings. */
const id = z.union([z.string().min(1), z.number().finite()]).transform(String);
/**
 * Below this a time cannot be epoch milliseconds of any real event (it would be March 1973), but
 * as seconds it spans to the year 5138: some senders write seconds, so those are scaled up.
 */
const SECONDS_BELOW = 100_000_000_000;
/** Epoch ms from whatever arrives: ms or seconds, as numbers or (newer samples) numeric strings. */
export const toEpochMs = (t: number): number => (t < SECONDS_BELOW ? t * 1000 : t);
const time = z.union([z.number().finite(), z.string().regex(/^\d+$/).transform(Number)]).transform(toEpochMs);

// Plain objects (not loose): only these fields are read, so the envelope's and entries' other keys
// need not be copied; each event keeps all of its own (below).
const envelopeSchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      id: id.optional(),
      time: time.optional(),
      messaging: z.array(z.unknown()).optional(),
      standby: z.array(z.unknown()).optional(),
      /** The Page `feed` subscription's changes (comments, visitor posts): parseFeed.ts. */
      changes: z.array(z.unknown()).optional(),
    }),
  ),
});

type Envelope = z.infer<typeof envelopeSchema>;

const party = z.looseObject({ id: id.optional(), user_ref: id.optional() }).optional();
const eventSchema = z.looseObject({
  sender: party,
  recipient: party,
  timestamp: time.optional(),
  message: z
    .looseObject({ mid: z.string().optional(), is_echo: z.boolean().optional(), quick_reply: z.unknown().optional() })
    .optional(),
  postback: z.looseObject({ mid: z.string().optional() }).optional(),
});
type RawEvent = z.infer<typeof eventSchema>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const plainId = (v: unknown): boolean => v === undefined || (typeof v === 'string' && v.length > 0);
const plainParty = (v: unknown): boolean => v === undefined || (isObject(v) && plainId(v.id) && plainId(v.user_ref));
const optional = (v: unknown, type: 'string' | 'boolean'): boolean => v === undefined || typeof v === type;
/** A time zod would keep as it is: a number of epoch milliseconds (not seconds, not a string). */
const plainTime = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= SECONDS_BELOW);
const optionalArray = (v: unknown): boolean => v === undefined || Array.isArray(v);

/**
 * The envelope as envelopeSchema would read it, without zod, when every field read has the shape
 * zod would leave as it is (as plainEvent below; a test holds the two to the same result). Its other
 * keys stay on the object, unread. Undefined for anything else, which zod then parses.
 */
export function plainEnvelope(body: Record<string, unknown>): Envelope | undefined {
  if (typeof body.object !== 'string' || !Array.isArray(body.entry)) return undefined;
  for (const entry of body.entry as unknown[]) {
    if (!isObject(entry) || !plainId(entry.id) || !plainTime(entry.time)) return undefined;
    if (!optionalArray(entry.messaging) || !optionalArray(entry.standby) || !optionalArray(entry.changes)) return undefined;
  }
  return body as Envelope;
}

/** Only for tests: what zod alone makes of an envelope. */
export const zodEnvelope = (body: unknown): Envelope | undefined => envelopeSchema.safeParse(body).data;

/**
 * The event as eventSchema would return it, without zod, when it has the shape nearly every event
 * has (ids as strings, the time in ms, the message and postback fields of their types): then zod
 * would transform nothing and its copy equals the input, so the input is used as it is (a test
 * holds the two to the same result). Undefined for anything else, which zod then parses. Zod's
 * copying of each event's objects was the largest part of parsing a body.
 */
export function plainEvent(value: unknown): RawEvent | undefined {
  if (!isObject(value) || !plainParty(value.sender) || !plainParty(value.recipient)) return undefined;
  if (!plainTime(value.timestamp)) return undefined;
  const m = value.message;
  if (m !== undefined && !(isObject(m) && optional(m.mid, 'string') && optional(m.is_echo, 'boolean'))) return undefined;
  const p = value.postback;
  if (p !== undefined && !(isObject(p) && optional(p.mid, 'string'))) return undefined;
  return value as RawEvent;
}

/** An event checked against eventSchema (the plain shape without zod), or undefined when it does not fit. */
export function readEvent(value: unknown): RawEvent | undefined {
  const plain = plainEvent(value);
  if (plain) return plain;
  const parsed = eventSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Only for tests: what zod alone makes of an event. */
export const zodEvent = (value: unknown): RawEvent | undefined => eventSchema.safeParse(value).data;

export type IgnoreReason =
  'unknown_kind' | 'malformed_event' | 'no_user' | 'no_page' | 'other_page' | 'too_old' | FeedIgnoreReason;

export type ParseOutcome =
  | { readonly type: 'ok'; readonly events: MessengerEvent[]; readonly ignored: IgnoreReason[] }
  | { readonly type: 'not_page'; readonly object: string }
  | { readonly type: 'too_many'; readonly count: number }
  | { readonly type: 'invalid'; readonly problem: string };

/** What a signed body must also prove before its events are believed. */
export interface Acceptance {
  /** This deployment's Page, or its Pages (PAGES_FILE): events for any other Page are ignored, one app may be subscribed to several. */
  readonly pageId: string | ReadonlySet<string>;
  /** Told the Page of each event ignored as `other_page` (the webhook counts them by Page). */
  readonly onOtherPage?: (pageId: string) => void;
  /** Events older than this (epoch ms) are ignored: their dedupe key may have expired, so a replay would apply again. */
  readonly oldestMs: number;
  /** More events than this in one body refuse the whole body (`too_many`), before any is parsed. */
  readonly maxEvents: number;
}

/** Order matters: an echo or a quick reply is also a `message`. */
const KIND_PROBES: ReadonlyArray<[EventKind, (e: RawEvent) => boolean]> = [
  ['echo', (e) => e.message?.is_echo === true],
  ['quick_reply', (e) => e.message !== undefined && e.message.quick_reply != null],
  ['message', (e) => e.message !== undefined],
  ['postback', (e) => e.postback !== undefined],
  ['referral', (e) => e.referral != null],
  ['optin', (e) => e.optin != null],
  ['delivery', (e) => e.delivery != null],
  ['read', (e) => e.read != null],
  ['reaction', (e) => e.reaction != null],
  ['pass_thread_control', (e) => e.pass_thread_control != null],
  ['take_thread_control', (e) => e.take_thread_control != null],
  ['request_thread_control', (e) => e.request_thread_control != null],
];

export function kindOf(e: RawEvent): EventKind | undefined {
  return KIND_PROBES.find(([, probe]) => probe(e))?.[0];
}

/** JSON with sorted keys, so a redelivered event hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Messages, echoes and postbacks carry Meta's `mid`. Everything else (reads, deliveries, referrals,
 * handover events, reactions) gets a composite key over page, user, kind, channel, time and the
 * event's own fields: a redelivery is the same event, so it hashes the same.
 */
export function dedupeKeyOf(kind: EventKind, channel: Channel, pageId: string, userId: string, ts: number, e: RawEvent): string {
  const mid = kind === 'postback' ? e.postback?.mid : kind === 'reaction' ? undefined : e.message?.mid;
  if (mid) return `mid:${mid}`;
  const digest = createHash('sha1')
    .update(`${pageId}|${userId}|${kind}|${channel}|${ts}|${canonical(e)}`)
    .digest('base64url');
  return `c:${digest}`;
}

/** True when the event's Page is not served here (and then tells accept.onOtherPage which it is). */
function otherPage(accept: Acceptance | undefined, pageId: string): boolean {
  if (!accept) return false;
  const served = typeof accept.pageId === 'string' ? pageId === accept.pageId : accept.pageId.has(pageId);
  if (!served) accept.onOtherPage?.(pageId);
  return !served;
}

function toEvent(
  value: unknown,
  channel: Channel,
  pageId: string | undefined,
  entryTime: number,
  accept: Acceptance | undefined,
): MessengerEvent | IgnoreReason {
  const e = readEvent(value);
  if (!e) return 'malformed_event';
  const kind = kindOf(e);
  if (!kind) return 'unknown_kind';
  if (!pageId) return 'no_page';
  if (otherPage(accept, pageId)) return 'other_page';
  // Echoes are sent by the page, so the customer is the recipient.
  const user = kind === 'echo' ? e.recipient : e.sender;
  const userId = user?.id ?? user?.user_ref;
  if (!userId) return 'no_user';
  const timestamp = e.timestamp ?? entryTime;
  if (accept && timestamp < accept.oldestMs) return 'too_old';
  const dedupeKey = dedupeKeyOf(kind, channel, pageId, userId, timestamp, e);
  return { kind, channel, pageId, userId, timestamp, dedupeKey, raw: e };
}

/** The envelope (the plain shape without zod), or what is wrong with it. */
function readEnvelope(body: Record<string, unknown>): Envelope | string {
  const plain = plainEnvelope(body);
  if (plain) return plain;
  const parsed = envelopeSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`;
}

/**
 * The entry's feed changes (parseFeed.ts). No `too_old` here: a comment's time is when it was
 * written, and whether it may still be answered (7 days) is the comment lane's rule, which also
 * remembers the comments it answered for longer than that (runtime/commentLane.ts).
 */
function feedEvents(
  changes: readonly unknown[],
  pageId: string | undefined,
  entryTime: number,
  accept: Acceptance | undefined,
  events: MessengerEvent[],
  ignored: IgnoreReason[],
): void {
  for (const change of changes) {
    if (!pageId) ignored.push('no_page');
    else if (otherPage(accept, pageId)) ignored.push('other_page');
    else {
      const result = toFeedEvent(change, pageId, entryTime);
      if (typeof result === 'string') ignored.push(result);
      else events.push(result);
    }
  }
}

/**
 * Splits a webhook body into events, tolerantly: every entry and its `messaging[]`,
 * `standby[]` and feed `changes[]` are read; events Talkshop cannot route are returned as ignore reasons (counted by
 * the caller), never thrown. Only a body that is not a webhook envelope at all is `invalid`.
 */
export function parseWebhook(body: unknown, receivedAt: number, accept?: Acceptance): ParseOutcome {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { type: 'invalid', problem: 'body must be a JSON object' };
  const object = (body as { object?: unknown }).object;
  if (typeof object === 'string' && object !== 'page') return { type: 'not_page', object };
  const envelope = readEnvelope(body as Record<string, unknown>);
  if (typeof envelope === 'string') return { type: 'invalid', problem: envelope };
  if (accept) {
    let count = 0;
    for (const entry of envelope.entry)
      count += (entry.messaging?.length ?? 0) + (entry.standby?.length ?? 0) + (entry.changes?.length ?? 0);
    if (count > accept.maxEvents) return { type: 'too_many', count };
  }
  const events: MessengerEvent[] = [];
  const ignored: IgnoreReason[] = [];
  for (const entry of envelope.entry) {
    const entryTime = entry.time ?? receivedAt;
    for (const [channel, list] of [
      ['messaging', entry.messaging],
      ['standby', entry.standby],
    ] as const) {
      for (const value of list ?? []) {
        const result = toEvent(value, channel, entry.id, entryTime, accept);
        if (typeof result === 'string') ignored.push(result);
        else events.push(result);
      }
    }
    if (entry.changes) feedEvents(entry.changes, entry.id, entryTime, accept, events, ignored);
  }
  return { type: 'ok', events, ignored };
}
