import { z } from 'zod';
import { messageSchema } from './sendApiSchema';

/*
 * Private Replies and public replies to comments (docs/messenger-platform.md §4.3b): the Send API
 * with `recipient: { comment_id }` (or `{ post_id }` for a visitor's post), one message per comment
 * within 7 days of it; and POST /<comment or post id>/comments with `message` for a public reply.
 * The client validates with these before sending; the fake Graph API with the same ones.
 */

/** Meta's ids are digits joined by underscores; these are what the feed webhook gave (parseFeed.ts). */
const objectId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^\w[\w.:-]*$/);

export const privateReplyTargetSchema = z.union([
  z.strictObject({ comment_id: objectId }),
  z.strictObject({ post_id: objectId }),
]);
export type PrivateReplyTarget = z.infer<typeof privateReplyTargetSchema>;

export const privateReplyRequestSchema = z.strictObject({
  recipient: privateReplyTargetSchema,
  // A private reply answers what the person wrote; Meta allows every messaging type, RESPONSE says what it is.
  messaging_type: z.literal('RESPONSE'),
  message: messageSchema,
});
export type PrivateReplyRequest = z.infer<typeof privateReplyRequestSchema>;

/** Longest public reply Talkshop sends (the flows' limit; Meta's own is far higher). */
export const COMMENT_REPLY_MAX = 8000;

export const commentReplyRequestSchema = z.strictObject({ message: z.string().min(1).max(COMMENT_REPLY_MAX) });
export const commentReplyResponseSchema = z.looseObject({ id: z.string().min(1) });

/** The id a public reply is posted under: a comment or a post id, never a path. */
export const commentObjectIdSchema = objectId;

/**
 * Meta's answers that end a private reply for good (not in Meta's reference; as third-party
 * integrations report them): the comment was already answered privately, or may no longer be
 * (older than 7 days, deleted, or its author cannot be messaged).
 */
export const PRIVATE_REPLY_ERRORS = {
  alreadyReplied: { code: 10900, message: 'Activity already replied to' },
  notReplyable: { code: 10903, message: "This user can't reply to this activity" },
} as const;
