import { z } from 'zod';
import { messageSchema } from '../platform/sendApiSchema';
import { broadcastMarkSchema } from './broadcastSend';
import { commentEffectSchemas } from './commentEffects';
import { REQUEST_METHODS } from './requestSchema';

/**
 * What the engine asks the outside world to do. Plain data: the runtime commits these with the
 * state into the outbox, and the sender reads them back through this schema, so what it executes
 * is exactly what the engine made.
 *
 * Outbox entries outlive a release (a rolling deploy runs old and new workers side by side), so
 * changes follow one rule. A worker ignores fields it does not know: adding an optional field
 * needs nothing. A new kind needs nothing either: an older worker leaves it in place for a newer
 * one. Any other change to a kind (a new enum value, a field renamed, made required or given a
 * new meaning) must raise EFFECT_FORMAT, so older workers leave those entries alone too.
 */
export const EFFECT_FORMAT = 1;

const send = z.object({
  type: z.literal('send'),
  message: messageSchema,
  /** RESPONSE: a reply to what the user just did. UPDATE: anything else (sequences, resumes). */
  messaging: z.enum(['RESPONSE', 'UPDATE']),
  promotional: z.boolean(),
  /** A person's own words (admin API): may use HUMAN_AGENT up to 7 days, and goes out while a person owns the thread. */
  byHumanAgent: z.boolean().optional(),
  /** Part of a broadcast: the sender applies its kind's rules (tag, Marketing Messages, bulk rate) and counts the outcome. */
  broadcast: broadcastMarkSchema.optional(),
});

/** Pass thread control (to the Page Inbox unless `targetAppId` names another app), or `take` it back. */
const handover = z.object({
  type: z.literal('handover'),
  reason: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  targetAppId: z.string().optional(),
  take: z.boolean().optional(),
});

/** Arm a timer; when due it comes back through the user's inbox as a `timer` event with this id. */
const schedule = z.object({ type: z.literal('schedule'), timer: z.literal('handover_timeout'), id: z.string(), at: z.number() });

/** Disarm the user's timer of that name (the thread is back with the bot, or paused). */
const cancelTimer = z.object({ type: z.literal('cancel_timer'), timer: z.literal('handover_timeout') });

/**
 * Call an API for the flow (a node's `request`); the result comes back through the user's inbox as
 * a `request_result` event with this id. Header values may hold `{{secret.NAME}}`, resolved only by
 * the requester at call time (never in the URL or body); `body` is JSON text.
 */
const request = z.object({
  type: z.literal('request'),
  id: z.string(),
  /** "<flow>/<node>": for logs and metrics. */
  name: z.string(),
  method: z.enum(REQUEST_METHODS),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().optional(),
  timeoutMs: z.number(),
});

/** Send data to a URL (a `webhook` action), fire and forget: POST, JSON `body`, retried and signed by the requester. */
const webhook = z.object({
  type: z.literal('webhook'),
  id: z.string(),
  /** "<flow>/<node>": for logs and metrics. */
  name: z.string(),
  url: z.string(),
  body: z.string(),
});

/**
 * Show "typing…" then pause `ms` before the lane's next effect. `request`: shown while that
 * request is out; it comes with `ms: 0` (no pause: the result, not the sender, decides when the
 * next message goes), and the indicator stays until that message, or Messenger's own ~20 s limit.
 */
const typing = z.object({ type: z.literal('typing'), ms: z.number(), request: z.string().optional() });

export const engineEffectSchema = z.discriminatedUnion('type', [
  send,
  typing,
  z.object({ type: z.literal('mark_seen') }),
  handover,
  schedule,
  cancelTimer,
  z.object({ type: z.literal('consent'), topic: z.string(), subscribed: z.boolean(), source: z.string() }),
  /** A sequence started or ended (stop: its armed step timer is disarmed). */
  z.object({ type: z.literal('sequence'), action: z.enum(['start', 'stop']), sequence: z.string() }),
  /** Arm the sequence's step timer (the user's `sequence:<id>` slot; it replaces the one armed before). */
  z.object({ type: z.literal('sequence_timer'), sequence: z.string(), id: z.string(), at: z.number() }),
  z.object({ type: z.literal('notify'), text: z.string(), reason: z.string() }),
  request,
  webhook,
  /**
   * Ask the configured language model which of the flows' questions the customer's `text` (its
   * first 300 characters) asks, or none (questionModel.ts). It only chooses: the answer is the
   * flow's own. The runtime puts the questions of the flows it holds before the model
   * (modelQuestions), so the entry stays small; an entry written with a `questions` list by an
   * earlier release is read without it. The choice comes back through the user's inbox as a
   * `question_choice` event with this id.
   */
  z.object({ type: z.literal('classify_question'), id: z.string(), text: z.string() }),
  /**
   * A typed text the bot did not understand: it ended in the fallback, or in "Did you mean…"
   * (questionEvents.ts). Normalized and cut to 200 characters; the runtime counts it per text, never
   * with who sent it, so marketers see which question to add next.
   */
  z.object({ type: z.literal('unmatched'), text: z.string(), outcome: z.enum(['fallback', 'suggested']) }),
  z.object({ type: z.literal('warning'), code: z.enum(['message_cap', 'cycle', 'missing_node']), detail: z.string() }),
  /** A comment lane's answers: a private reply, a public reply, a comment counted but not answered (commentEffects.ts). */
  ...commentEffectSchemas,
]);

export type EngineEffect = Readonly<z.infer<typeof engineEffectSchema>>;
export type EffectType = EngineEffect['type'];
export type EffectOf<T extends EffectType> = Extract<EngineEffect, { readonly type: T }>;

/** Every kind this code knows; a stored effect of any other kind was written by a newer Talkshop. */
export const EFFECT_TYPES: ReadonlySet<string> = new Set<EffectType>(engineEffectSchema.options.map((o) => o.shape.type.value));
