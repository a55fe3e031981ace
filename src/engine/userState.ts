import { z } from 'zod';
import { MESSAGING_WINDOW } from '../platform/messagingRules';
import { consentEntrySchema, consentSchema, deriveConsent, reconcileLedger } from './consentLedger';

/**
 * A user's conversation state, versioned: `schema` says which shape it has, and decodeUserState
 * migrates anything older (including the foundation's counter state) to the current shape.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const position = z.object({ flow: z.string(), version: z.string(), node: z.string() });

export const marketingTokenSchema = z.object({
  token: z.string(),
  /** When Meta says the token expires (ms); null when it did not say. */
  expiresAt: z.number().nullable(),
  /** active: the person gets marketing messages on this topic; stopped: they turned them off in Messenger. */
  status: z.enum(['active', 'stopped']),
  /** When this record last changed. */
  at: z.number(),
});
export type MarketingToken = z.infer<typeof marketingTokenSchema>;

/** A referral as the state keeps it: Meta's `referral` (see engineEvent Referral) and when it came (ms). */
export const referralSchema = z.object({
  ref: z.string().nullable(),
  source: z.string(),
  adId: z.string().nullable(),
  at: z.number(),
});
export type ReferralRecord = z.infer<typeof referralSchema>;

/** How many referrals the state keeps (the latest last): enough to see a path, never unbounded. */
export const REFERRAL_HISTORY = 10;

/**
 * A broadcast the user's lane met: queued for sending or skipped (and why, in the statistics), and
 * what they did after it (receipts, a tap on one of its buttons, a reply), each counted once.
 */
export const receivedBroadcastSchema = z.object({
  id: z.string(),
  /** When the lane applied it (ms): receipts with a watermark at or after it count as its delivery. */
  at: z.number(),
  outcome: z.enum(['queued', 'skipped']),
  /** The postback and quick-reply payloads it carried: a tap on one of them within CLICK_WINDOW_MS is its click. */
  payloads: z.array(z.string()).default([]),
  delivered: z.boolean().default(false),
  read: z.boolean().default(false),
  clicked: z.boolean().default(false),
  replied: z.boolean().default(false),
});
export type ReceivedBroadcast = z.infer<typeof receivedBroadcastSchema>;

/** Broadcasts the state remembers (the latest last): a user meets each once; older ones drop off. */
export const BROADCAST_HISTORY = 50;
/** Proactive send times kept for the per-day and per-week caps (a week's worth at most). */
export const PROACTIVE_HISTORY = 200;

export const THREAD_STATES = ['bot', 'handing_over', 'human', 'paused'] as const;
export type ThreadState = (typeof THREAD_STATES)[number];

export const userStateSchema = z.object({
  schema: z.literal(1),
  /** Where the conversation is; null before the first flow starts. */
  position: position.nullable(),
  /** A question waiting for its answer (the node's `ask`), with failed attempts so far. */
  pending: position.extend({ retries: z.number().int().nonnegative() }).nullable(),
  fields: z.record(z.string(), scalar),
  tags: z.array(z.string()),
  /** The current consent per topic, derived from consentLedger (deriveConsent) and written with it. */
  consent: consentSchema,
  /** Every opt-in and opt-out, oldest first (capped: see CONSENT_LEDGER_CAP). */
  consentLedger: z.array(consentEntrySchema).default([]),
  /**
   * Marketing Messages subscription tokens from Meta's opt-in webhooks, per topic. The token is a
   * credential for messaging this person: never logged.
   */
  marketingTokens: z.record(z.string(), marketingTokenSchema).default({}),
  /** The customer's last own action (message, tap, referral…): the start of the messaging window. */
  lastInboundAt: z.number().nullable(),
  /** When the current messaging window closes (24 h, or 7 days after a click-to-Messenger ad). */
  windowEndsAt: z.number().nullable(),
  /** Consecutive messages the bot did not understand. */
  misses: z.number().int().nonnegative(),
  /** Sticky A/B assignments: "flow:node" → chosen target node. */
  ab: z.record(z.string(), z.string()),
  /**
   * Running drip sequences: when the user subscribed, the step due next (its index and id, so an
   * edit of the file applies to steps not yet sent), when, and the timer armed for it (only that
   * timer's firing counts). Entries from before sequences ran have only startedAt.
   */
  sequences: z.record(
    z.string(),
    z.object({
      startedAt: z.number(),
      next: z.number().int().nonnegative().optional(),
      stepId: z.string().optional(),
      dueAt: z.number().optional(),
      timer: z.string().optional(),
      /** When the previous step was decided (the subscription for the first): what `from: previous` counts from. */
      prevAt: z.number().optional(),
    }),
  ),
  thread: z.enum(THREAD_STATES),
  inbound: z.number().int().nonnegative(),
  /** The Messenger profile as last fetched (ok) or the time a fetch failed; null: never tried. */
  profile: z
    .object({
      ok: z.boolean(),
      at: z.number(),
      first_name: z.string().optional(),
      locale: z.string().optional(),
      timezone: z.number().optional(),
    })
    .nullable()
    .default(null),
  /** Recent messages while a person handles the thread (bounded): what the agent sees. */
  transcript: z.array(z.object({ at: z.number(), from: z.enum(['user', 'agent']), text: z.string() })).default([]),
  /** The armed handover inactivity timer; a firing with another id is stale and ignored. */
  timer: z.object({ id: z.string(), dueAt: z.number() }).nullable().default(null),
  /** We asked Meta for the thread back (take_thread_control) and have not heard how it went. */
  takePending: z.boolean().default(false),
  /**
   * Since when (Meta's clock) the thread is ours again after a person had it: a standby message
   * written before that is late news, not a sign that someone took the thread again.
   */
  controlSince: z.number().nullable().default(null),
  /** The latest referral (m.me link, click-to-Messenger ad, chat plugin…); null: none seen. */
  referral: referralSchema.nullable().default(null),
  /** The last REFERRAL_HISTORY referrals, oldest first (the latest is also `referral`). */
  referrals: z.array(referralSchema).default([]),
  /**
   * Meta's receipts as watermarks (Meta's time, ms): every message sent at or before `deliveredUpTo`
   * was delivered, at or before `readUpTo` read. Only move forward; null: no receipt yet.
   */
  delivery: z
    .object({ deliveredUpTo: z.number().nullable(), readUpTo: z.number().nullable() })
    .default(() => ({ deliveredUpTo: null, readUpTo: null })),
  /** The last BROADCAST_HISTORY broadcasts the user's lane met, oldest first. */
  broadcasts: z.array(receivedBroadcastSchema).default([]),
  /** The nodes the user reached today (the Page's day): each is counted once per user per day in the flow funnels. */
  reached: z
    .object({ day: z.string(), nodes: z.array(z.string()) })
    .nullable()
    .default(null),
  /** When proactive messages (broadcasts, sequence steps) were queued for the user, last 7 days, oldest first. */
  proactive: z.array(z.number()).default([]),
  /**
   * The flow's request that is out (a node's `request`): only a result with this id is applied, and
   * only until `dueAt` (its timeout plus a margin); `waitSaid`: the customer was told to wait.
   */
  request: z
    .object({
      id: z.string(),
      flow: z.string(),
      version: z.string(),
      node: z.string(),
      startedAt: z.number(),
      dueAt: z.number(),
      waitSaid: z.boolean().default(false),
    })
    .nullable()
    .default(null),
  /**
   * The typed text the language model is choosing a question for (questionModel.ts): only a choice
   * with this id is applied, and any action of the customer's meanwhile replaces it. `text`: the
   * normalized text, counted as unmatched if the model places it nowhere; `disclose`: the disclosure
   * was due and not yet sent.
   */
  questionCall: z
    .object({ id: z.string(), text: z.string(), disclose: z.boolean().default(false) })
    .nullable()
    .default(null),
  /** Requests and webhooks made so far: part of their ids, so each is unique for the user. */
  calls: z.number().int().nonnegative().default(0),
  /** When the bot last told the customer it is an automated assistant (settings `disclosure`); null: never. */
  disclosedAt: z.number().nullable().default(null),
  /** Recent changes of thread owner, with time and cause (bounded). */
  threadLog: z
    .array(z.object({ at: z.number(), from: z.enum(THREAD_STATES), to: z.enum(THREAD_STATES), cause: z.string() }))
    .default([]),
});
export type UserState = z.infer<typeof userStateSchema>;

export const initialUserState = (): UserState => ({
  schema: 1,
  position: null,
  pending: null,
  fields: {},
  tags: [],
  consent: {},
  consentLedger: [],
  marketingTokens: {},
  lastInboundAt: null,
  windowEndsAt: null,
  misses: 0,
  ab: {},
  sequences: {},
  thread: 'bot',
  inbound: 0,
  profile: null,
  transcript: [],
  threadLog: [],
  timer: null,
  takePending: false,
  controlSince: null,
  referral: null,
  referrals: [],
  delivery: { deliveredUpTo: null, readUpTo: null },
  broadcasts: [],
  proactive: [],
  reached: null,
  request: null,
  questionCall: null,
  calls: 0,
  disclosedAt: null,
});

/**
 * States from before the ledger (or written by an older release, which drops it) keep their
 * consent: the ledger is completed from it, and consent is derived from the ledger.
 */
function withLedger(state: UserState): UserState {
  const ledger = reconcileLedger(state.consentLedger, state.consent);
  return ledger === state.consentLedger ? state : { ...state, consentLedger: [...ledger], consent: deriveConsent(ledger) };
}

/** Schema 0: what the first version stored (a count of events and the last interaction), before flows existed. */
const schema0 = z.object({ inbound: z.number(), lastInteractionAt: z.number().nullable() });

export function decodeUserState(data: unknown): UserState {
  if (data === null || data === undefined) return initialUserState();
  const current = userStateSchema.safeParse(data);
  if (current.success) return withLedger(current.data);
  const old = schema0.safeParse(data);
  if (old.success) {
    const last = old.data.lastInteractionAt;
    return {
      ...initialUserState(),
      inbound: old.data.inbound,
      lastInboundAt: last,
      windowEndsAt: last === null ? null : last + MESSAGING_WINDOW.standardMs,
    };
  }
  // Unknown shape: say where, do not guess (the worker logs it and applies the item as a no-op).
  throw new Error(`unreadable user state: ${current.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}
