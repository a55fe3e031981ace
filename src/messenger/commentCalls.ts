import { z } from 'zod';
import {
  commentObjectIdSchema,
  commentReplyRequestSchema,
  commentReplyResponseSchema,
  privateReplyRequestSchema,
  type PrivateReplyRequest,
} from '../platform/privateReplySchema';
import type { MarketingCallDeps } from './marketingCalls';

/**
 * Answers to comments (docs/messenger-platform.md §4.3b) as the two GraphClient methods
 * createGraphClient mixes in, through its own `call` (errors, logging, appsecret_proof) and
 * `validated` (an invalid request is refused with code 100 and never sent).
 */
export interface CommentCalls {
  /** A private reply: one Send API message to whoever wrote the comment or visitor post it names. */
  privateReply(request: PrivateReplyRequest): Promise<{ readonly messageId: string; readonly recipientId?: string }>;
  /** A public reply under a comment or post (POST /<id>/comments); resolves with the new comment's id. */
  commentReply(objectId: string, text: string): Promise<string>;
}

const sendResponseSchema = z.looseObject({ recipient_id: z.string().optional(), message_id: z.string().min(1) });

export function commentCalls({ call, validated }: Pick<MarketingCallDeps, 'call' | 'validated'>): CommentCalls {
  return {
    async privateReply(request) {
      const body = validated(privateReplyRequestSchema, request, 'POST /me/messages');
      const answer = await call({ method: 'POST', path: '/me/messages', body, response: sendResponseSchema });
      // Meta may name the person's PSID; Talkshop does not rely on it (their answer will).
      return { messageId: answer.message_id, ...(answer.recipient_id === undefined ? {} : { recipientId: answer.recipient_id }) };
    },
    async commentReply(objectId, text) {
      const id = validated(commentObjectIdSchema, objectId, 'POST /{object-id}/comments');
      const body = validated(commentReplyRequestSchema, { message: text }, 'POST /{object-id}/comments');
      const answer = await call({ method: 'POST', path: `/${id}/comments`, body, response: commentReplyResponseSchema });
      return answer.id;
    },
  };
}
