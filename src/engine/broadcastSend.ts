import { z } from 'zod';
import type { MessageTag } from '../platform/sendApiSchema';
import type { MessageSpec } from './flowSchema';

/**
 * A broadcast as the engine applies it to one user: what to send (messages or a flow node), under
 * which of Meta's rules (the kind, its tag or topic), and the per-user caps. Made from a checked
 * definition (src/broadcasts/) by the runtime; the engine never reads files or the store.
 */
export interface BroadcastSend {
  readonly id: string;
  readonly kind: 'promotional' | 'tagged' | 'marketing_message';
  /** tagged: the non-promotional tag the message goes out under outside the window. */
  readonly tag?: Exclude<MessageTag, 'HUMAN_AGENT'>;
  /** The consent topic every recipient must be subscribed to (promotional and marketing_message always have one). */
  readonly topic?: string;
  readonly messages?: readonly MessageSpec[];
  readonly start?: { readonly flow: string; readonly node: string };
  /** Proactive messages (broadcasts and sequence steps together) a user may get per day and per week; absent: no cap. */
  readonly caps: { readonly perDay?: number; readonly perWeek?: number };
}

/** How the send effect of a broadcast names it, so the sender applies its kind's rules and counts its outcome. */
export const broadcastMarkSchema = z.object({
  id: z.string(),
  kind: z.enum(['promotional', 'tagged', 'marketing_message']),
  tag: z.enum(['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE']).optional(),
  topic: z.string().optional(),
  /** A test send to an admin: counted nowhere. */
  test: z.boolean().optional(),
  /** A drip sequence's step (id `seq.<sequence>.<step>`), not a broadcast: no broadcast record to look up. */
  source: z.literal('sequence').optional(),
});
export type BroadcastMark = z.infer<typeof broadcastMarkSchema>;

/**
 * Why a broadcast did not go to a user. Decided in their lane (their state at that moment) or by the
 * sender (at the moment of sending, or from Meta's answer).
 */
export const BROADCAST_SKIP_REASONS = [
  'outside_window',
  'no_consent',
  'no_token',
  'unreachable',
  'human_owns_thread',
  'deleted',
  'region',
  'not_eligible',
  'capped',
  'cancelled',
] as const;
export type BroadcastSkipReason = (typeof BROADCAST_SKIP_REASONS)[number];

/**
 * A broadcast's counters. targeted = queued + skipped in the lane (each user once); queued =
 * sent + skipped by the sender + failed (+ still in the outbox). `repeat`: the user's lane met the
 * broadcast again (a walk that saw a card twice, a redelivery) and did nothing: not a user more.
 */
export type BroadcastCounter =
  | 'targeted'
  | 'queued'
  | 'repeat'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'clicked'
  | 'replied'
  | `skipped:${BroadcastSkipReason}`
  | `failed:${string}`;

/** The store's counter field for a broadcast's counter: `<id>|<counter>` (ids are slugs: no `|`). */
export const broadcastStatField = (id: string, counter: BroadcastCounter): string => `${id}|${counter}`;

/** The broadcast and counter a field names (the inverse of broadcastStatField). */
export function parseBroadcastStatField(field: string): { readonly broadcast: string; readonly counter: string } {
  const bar = field.indexOf('|');
  return { broadcast: field.slice(0, bar), counter: field.slice(bar + 1) };
}
