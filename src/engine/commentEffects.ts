import { z } from 'zod';
import { privateReplyTargetSchema } from '../platform/privateReplySchema';
import { messageSchema } from '../platform/sendApiSchema';

/*
 * What a comment lane asks the sender to do (engine/commentEvents.ts; runtime/commentDelivery.ts),
 * part of the engine's effects (effects.ts). Committed to the outbox like any effect, so the same
 * rules for changing them hold (effects.ts, EFFECT_FORMAT).
 */

export const commentEffectSchemas = [
  /**
   * One message to the person who wrote the comment or post, linked to it (Meta allows one per
   * comment, within 7 days of `created`, ms). Its quick replies and buttons carry the flow's own
   * payloads, so the person's tap continues the flow in their own (PSID) lane.
   */
  z.object({
    type: z.literal('private_reply'),
    /** Meta's `recipient: { comment_id }`, or `{ post_id }` for a visitor's post. */
    to: privateReplyTargetSchema,
    message: messageSchema,
    created: z.number(),
    /** "<flow>/<node>": for logs. */
    name: z.string(),
  }),
  /** A public reply under the comment (POST /<id>/comments): at most one per comment, never retried once it may have reached Meta. */
  z.object({ type: z.literal('comment_reply'), id: z.string().min(1), text: z.string().min(1) }),
  /**
   * A comment a trigger heard that got no private reply, and why (older than 7 days, the person's
   * daily cap, answered before); the sender only counts it (talkshop_deliveries_total).
   */
  z.object({ type: z.literal('comment_skipped'), reason: z.enum(['too_old', 'capped', 'already_answered']) }),
] as const;
