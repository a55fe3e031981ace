import {
  commentObjectIdSchema,
  commentReplyRequestSchema,
  PRIVATE_REPLY_ERRORS,
  privateReplyRequestSchema,
} from '../platform/privateReplySchema';
import type { FakeHandlerKit } from './fakeGraphError';

/**
 * The fake Graph API's comments (docs/messenger-platform.md §4.3b): the comments and visitor posts
 * it knows (those its webhook emitter posted, or tests added), the private replies it accepted
 * (one per comment, within 7 days of it, as Meta), and the public replies posted under them.
 * Meta's answers for a second private reply and for one too late are not in its reference; the
 * codes here are the ones third-party integrations report (PRIVATE_REPLY_ERRORS).
 */

const WINDOW_MS = 7 * 24 * 3600 * 1000;

export interface FakeComment {
  /** The comment's id (or the visitor post's id). */
  readonly id: string;
  readonly post: string;
  /** The author's feed id. */
  readonly from: string;
  /** The author's PSID: what a private reply's answer names, and what their Messenger events carry. */
  readonly psid?: string;
  /** ms; default the fake's clock. */
  readonly created?: number;
  readonly item?: 'comment' | 'post';
  readonly text?: string;
}

export interface FakePrivateReply {
  /** The comment or post id it answered. */
  readonly id: string;
  readonly psid: string | undefined;
  readonly message: unknown;
  readonly at: number;
}

export interface FakePublicReply {
  /** The comment (or post) it was posted under. */
  readonly parent: string;
  /** The new comment's id. */
  readonly id: string;
  readonly text: string;
  readonly at: number;
}

export interface FakeCommentControls {
  /** Tells the fake about a comment: then a private reply to it is held to its 7 days and answered with its PSID. */
  add(comment: FakeComment): void;
  /** Private replies accepted, in order. */
  readonly privateReplies: readonly FakePrivateReply[];
  /** Public replies posted, in order. */
  readonly publicReplies: readonly FakePublicReply[];
}

export interface FakeComments {
  readonly controls: FakeCommentControls;
  /** POST /me/messages with a comment_id or post_id recipient. */
  privateReply(body: unknown, setRecipient: (psid: string) => void): unknown;
  /** POST /<id>/comments. */
  publicReply(objectId: string, body: unknown): unknown;
  /** Whether a Send API body is a private reply (its recipient names a comment or post). */
  isPrivateReply(body: unknown): boolean;
  reset(): void;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function createFakeComments(kit: FakeHandlerKit): FakeComments {
  const known = new Map<string, FakeComment & { readonly created: number }>();
  const answered = new Set<string>();
  const privateReplies: FakePrivateReply[] = [];
  const publicReplies: FakePublicReply[] = [];
  let counter = 0;

  return {
    controls: {
      add(comment) {
        known.set(comment.id, { ...comment, created: comment.created ?? kit.now() });
      },
      privateReplies,
      publicReplies,
    },
    isPrivateReply(body) {
      const recipient = isObject(body) ? body.recipient : undefined;
      return isObject(recipient) && ('comment_id' in recipient || 'post_id' in recipient);
    },
    privateReply(body, setRecipient) {
      const request = kit.parse(privateReplyRequestSchema, body);
      const id = 'comment_id' in request.recipient ? request.recipient.comment_id : request.recipient.post_id;
      const comment = known.get(id);
      // A comment the fake was never told of is taken as new: it cannot know better.
      if (comment?.psid !== undefined) setRecipient(comment.psid);
      if (answered.has(id))
        kit.fail({ code: PRIVATE_REPLY_ERRORS.alreadyReplied.code, message: PRIVATE_REPLY_ERRORS.alreadyReplied.message });
      if (comment && kit.now() - comment.created > WINDOW_MS)
        kit.fail({ code: PRIVATE_REPLY_ERRORS.notReplyable.code, message: PRIVATE_REPLY_ERRORS.notReplyable.message });
      answered.add(id);
      privateReplies.push({ id, psid: comment?.psid, message: request.message, at: kit.now() });
      counter += 1;
      const messageId = `m_fake_pr_${counter.toString(36)}`;
      return comment?.psid === undefined ? { message_id: messageId } : { recipient_id: comment.psid, message_id: messageId };
    },
    publicReply(objectId, body) {
      const parent = kit.parse(commentObjectIdSchema, objectId);
      const { message } = kit.parse(commentReplyRequestSchema, body);
      counter += 1;
      const id = `${parent.split('_')[0] ?? parent}_${(9_000_000 + counter).toString()}`;
      publicReplies.push({ parent, id, text: message, at: kit.now() });
      return { id };
    },
    reset() {
      known.clear();
      answered.clear();
      privateReplies.length = 0;
      publicReplies.length = 0;
    },
  };
}
