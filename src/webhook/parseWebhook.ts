import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Channel, EventKind, MessengerEvent } from '../store/messengerEvent';

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

const envelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: id.optional(),
      time: time.optional(),
      messaging: z.array(z.unknown()).optional(),
      standby: z.array(z.unknown()).optional(),
    }),
  ),
});

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

export type IgnoreReason = 'unknown_kind' | 'malformed_event' | 'no_user' | 'no_page' | 'other_page' | 'too_old';

export type ParseOutcome =
  | { readonly type: 'ok'; readonly events: MessengerEvent[]; readonly ignored: IgnoreReason[] }
  | { readonly type: 'not_page'; readonly object: string }
  | { readonly type: 'too_many'; readonly count: number }
  | { readonly type: 'invalid'; readonly problem: string };

/** What a signed body must also prove before its events are believed. */
export interface Acceptance {
  /** Events for any other Page are ignored: one app may be subscribed to several Pages. */
  readonly pageId: string;
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

function toEvent(
  value: unknown,
  channel: Channel,
  pageId: string | undefined,
  entryTime: number,
  accept: Acceptance | undefined,
): MessengerEvent | IgnoreReason {
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) return 'malformed_event';
  const e = parsed.data;
  const kind = kindOf(e);
  if (!kind) return 'unknown_kind';
  if (!pageId) return 'no_page';
  if (accept && pageId !== accept.pageId) return 'other_page';
  // Echoes are sent by the page, so the customer is the recipient.
  const user = kind === 'echo' ? e.recipient : e.sender;
  const userId = user?.id ?? user?.user_ref;
  if (!userId) return 'no_user';
  const timestamp = e.timestamp ?? entryTime;
  if (accept && timestamp < accept.oldestMs) return 'too_old';
  const dedupeKey = dedupeKeyOf(kind, channel, pageId, userId, timestamp, e);
  return { kind, channel, pageId, userId, timestamp, dedupeKey, raw: e };
}

/**
 * Splits a webhook body into events, tolerantly: every entry and both `messaging[]` and
 * `standby[]` are read; events Talkshop cannot route are returned as ignore reasons (counted by
 * the caller), never thrown. Only a body that is not a webhook envelope at all is `invalid`.
 */
export function parseWebhook(body: unknown, receivedAt: number, accept?: Acceptance): ParseOutcome {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { type: 'invalid', problem: 'body must be a JSON object' };
  const object = (body as { object?: unknown }).object;
  if (typeof object === 'string' && object !== 'page') return { type: 'not_page', object };
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { type: 'invalid', problem: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
  }
  if (accept) {
    let count = 0;
    for (const entry of parsed.data.entry) count += (entry.messaging?.length ?? 0) + (entry.standby?.length ?? 0);
    if (count > accept.maxEvents) return { type: 'too_many', count };
  }
  const events: MessengerEvent[] = [];
  const ignored: IgnoreReason[] = [];
  for (const entry of parsed.data.entry) {
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
  }
  return { type: 'ok', events, ignored };
}
