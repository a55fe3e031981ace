import { z } from 'zod';
import { LIMITS } from '../platform/sendApiSchema';

/*
 * A comment event's `raw.comment` in the inbox, as the webhook writes it (webhook/parseFeed.ts) and
 * the comment lane reads it back (runtime/commentLane.ts): only these fields, read and capped from
 * Meta's feed change, never Meta's whole value.
 */

/** What a comment event's `raw.comment` holds. */
export interface FeedComment {
  /** `comment`: a comment (or a reply to one) on a Page post; `post`: a visitor's own post on the Page. */
  readonly item: 'comment' | 'post';
  /** The comment's id (item comment) or the visitor post's id (item post): what a private reply names. */
  readonly id: string;
  /** The post it belongs to (its own id for a visitor post). */
  readonly post: string;
  /** The author's feed id (not a PSID). */
  readonly from: string;
  /** What they wrote, cut to Messenger's text limit ('' for a photo or sticker alone). */
  readonly text: string;
  /** When they wrote it (ms): private replies are allowed for 7 days from then. */
  readonly created: number;
}

export const feedCommentSchema = z.object({
  item: z.enum(['comment', 'post']),
  id: z.string().min(1).max(128),
  post: z.string().min(1).max(128),
  from: z.string().min(1).max(128),
  text: z.string().max(2 * LIMITS.text),
  created: z.number(),
});

/** The lane of a commenter: their feed id, prefixed so it can never be taken for a PSID (digits only). */
export const FEED_LANE_PREFIX = 'feed:';
