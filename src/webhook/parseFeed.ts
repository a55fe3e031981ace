import { z } from 'zod';
import { clip, LIMITS } from '../platform/sendApiSchema';
import { FEED_LANE_PREFIX, type FeedComment } from '../store/feedComment';
import type { MessengerEvent } from '../store/messengerEvent';

/*
 * The Page `feed` webhook's `changes[]` (docs/messenger-platform.md §1.2, §4.3b): a comment on a
 * Page post, or a post a visitor wrote on the Page, becomes a `comment` event; every other change
 * is ignored and counted. Meta's docs do not promise that the feed's `from.id` is the person's
 * Page-scoped id (PSID) in Messenger, so a comment's lane is keyed by `feed:<from.id>`, never
 * mistaken for a PSID (runtime/commentLane.ts).
 */

/** Why a feed change starts nothing (counted by the webhook as an ignored event). */
export type FeedIgnoreReason =
  /** Another field than `feed` (ratings, mentions…), or a feed item other than a comment or a visitor post. */
  | 'feed_other'
  /** A comment or post edited, hidden or removed: only a new one may start a conversation. */
  | 'feed_changed'
  /** Written by the Page itself (its own comments and replies): never answered. */
  | 'feed_own'
  /** No author (Meta leaves `from` out when the app may not see the person) or no id to reply to. */
  | 'feed_unreadable';

/** Meta's ids are digits joined by underscores; anything far longer or stranger is not one. */
const MAX_ID = 128;
const feedId = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform(String)
  .pipe(
    z
      .string()
      .min(1)
      .max(MAX_ID)
      .regex(/^\w[\w.:-]*$/),
  );

/** Unix seconds in Meta's feed samples; ms or numeric strings read too (parseWebhook's toEpochMs). */
const SECONDS_BELOW = 100_000_000_000;
const feedTime = z
  .union([
    z.number().finite().nonnegative(),
    z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number),
  ])
  .transform((t) => (t < SECONDS_BELOW ? t * 1000 : t));

/** Longest comment text read: more is cut before matching (Messenger's own text limit). */
const MAX_TEXT_INPUT = 4 * LIMITS.text;

const valueSchema = z.looseObject({
  item: z.string().max(64).optional(),
  verb: z.string().max(64).optional(),
  from: z.looseObject({ id: feedId.optional() }).optional(),
  post_id: feedId.optional(),
  comment_id: feedId.optional(),
  parent_id: feedId.optional(),
  created_time: feedTime.optional(),
  message: z.string().optional(),
});

const changeSchema = z.looseObject({ field: z.string().max(64), value: z.unknown() });

const VISITOR_ITEMS: ReadonlySet<string> = new Set(['post', 'status']);

function textOf(message: string | undefined): string {
  if (message === undefined) return '';
  return clip(message.slice(0, MAX_TEXT_INPUT), LIMITS.text);
}

/**
 * One `changes[]` item of an entry for `pageId`, as a `comment` event for the commenter's lane, or
 * why it starts nothing. `entryTime` stands in for a missing `created_time`.
 */
export function toFeedEvent(value: unknown, pageId: string, entryTime: number): MessengerEvent | FeedIgnoreReason {
  const change = changeSchema.safeParse(value);
  if (!change.success || change.data.field !== 'feed') return 'feed_other';
  const parsed = valueSchema.safeParse(change.data.value);
  if (!parsed.success) return 'feed_unreadable';
  const v = parsed.data;
  const item = v.item === 'comment' ? 'comment' : v.item !== undefined && VISITOR_ITEMS.has(v.item) ? 'post' : undefined;
  if (item === undefined) return 'feed_other';
  if (v.verb !== 'add') return 'feed_changed';
  const from = v.from?.id;
  if (from === pageId) return 'feed_own';
  const id = item === 'comment' ? v.comment_id : v.post_id;
  if (from === undefined || id === undefined || v.post_id === undefined) return 'feed_unreadable';
  const comment: FeedComment = {
    item,
    id,
    post: v.post_id,
    from,
    text: textOf(v.message),
    created: v.created_time ?? entryTime,
  };
  return {
    kind: 'comment',
    channel: 'messaging',
    pageId,
    userId: `${FEED_LANE_PREFIX}${from}`,
    timestamp: comment.created,
    // Meta's own id: a redelivery, however its fields are ordered, is the same comment.
    dedupeKey: `${item}:${id}`,
    raw: { comment },
  };
}
