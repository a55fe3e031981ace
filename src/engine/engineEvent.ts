import { z } from 'zod';
import type { BroadcastSend } from './broadcastSend';
/**
 * When the customer acted, by Meta's clock (ms). The messaging window runs from then, not from when
 * a worker got round to the event; absent, the engine uses `now`.
 */
interface ActedAt {
  readonly at?: number;
  /**
   * What the runtime calls the event that caused this (its dedupe key: `mid:<message id>` for a
   * message), recorded with any consent change it makes.
   */
  readonly cause?: string;
  /** The m.me link, ad or plugin the customer came through, when the event carries Meta's `referral`. */
  readonly referral?: Referral;
}

/** Meta's `referral` (a referral event, or inside a postback or a message), as the state records it. */
export interface Referral {
  /** The m.me `?ref=` value or the ad's ref; null when it had none. */
  readonly ref: string | null;
  /** Meta's `source`, upper case: SHORTLINK, ADS, CUSTOMER_CHAT_PLUGIN…; UNKNOWN when absent. */
  readonly source: string;
  /** The click-to-Messenger ad's id; null for anything but an ad. */
  readonly adId: string | null;
}

/** A click-to-Messenger ad: its first message gives the Page a 7-day window. */
export const isAdReferral = (r: Referral | undefined): boolean => r !== undefined && (r.source === 'ADS' || r.adId !== null);

/**
 * A Marketing Messages opt-in webhook (`optin.type: notification_messages`): the person subscribed
 * to a topic (with a token to message them on it), or stopped or resumed those messages in Messenger.
 */
export interface MarketingOptin {
  readonly status: 'optin' | 'stop' | 'resume';
  /** The opt-in request's payload (else its title); empty when Meta sent neither. */
  readonly topic: string;
  readonly token?: string;
  /** ms */
  readonly expiresAt?: number;
  /** From Talkshop's sync of Meta's subscriber list, not a webhook: keeps the token, never undoes a withdrawal. */
  readonly synced?: boolean;
}

/**
 * A broadcast reached the user's lane. `send` is the definition (null: unknown to this process,
 * e.g. deleted); `cancelled`: the marketer cancelled it after the user was queued; `test`: a test
 * send to an admin (no statistics, no history, no caps).
 */
export interface BroadcastDue {
  readonly type: 'broadcast';
  readonly id: string;
  readonly send: BroadcastSend | null;
  readonly cancelled: boolean;
  readonly test: boolean;
}

/** What the engine reacts to, distilled from a Messenger event. */
export type EngineEvent =
  | ({ readonly type: 'text'; readonly text: string } & ActedAt)
  | ({
      readonly type: 'payload';
      readonly payload: string;
      readonly text: string;
      readonly ref?: string;
      readonly fromAd?: boolean;
    } & ActedAt)
  | ({ readonly type: 'attachment' } & ActedAt)
  | ({ readonly type: 'referral'; readonly ref: string; readonly fromAd: boolean } & ActedAt)
  | ({
      readonly type: 'optin';
      readonly ref: string;
      readonly marketing?: MarketingOptin;
      /** Arrived on standby (another app owns the thread): only the consent and the token count, no flow runs. */
      readonly standby?: boolean;
    } & ActedAt)
  | ({ readonly type: 'reaction' } & ActedAt)
  /** The customer wrote while another app (the Page Inbox) owns the thread: record, do not answer. `sentAt`: Meta's time. */
  | {
      readonly type: 'standby_message';
      readonly text: string;
      readonly sentAt: number;
      readonly cause?: string;
      readonly referral?: Referral;
    }
  /**
   * Meta's receipts (`message_deliveries`, `message_reads`): every message sent at or before
   * `watermark` (Meta's time, ms) was delivered / read. Not the customer's own action: no window, no reply.
   */
  | { readonly type: 'delivered' | 'read'; readonly watermark: number }
  /** A person (Page Inbox, another app, or no app) wrote to the customer: an echo not from us. */
  | { readonly type: 'agent_message'; readonly text: string }
  /** Thread control was passed to us (the person pressed Done, or another app handed back), at Meta's time `at`. */
  | { readonly type: 'control_returned'; readonly at: number }
  /** Another app took thread control from us. */
  | { readonly type: 'control_taken' }
  /** A timer armed earlier came due (stale ones are recognised by their id). */
  | { readonly type: 'timer'; readonly timer: string; readonly id: string }
  /** Admin API commands, applied in the user's lane like everything else. */
  | { readonly type: 'admin_pause' }
  | { readonly type: 'admin_resume' }
  | { readonly type: 'agent_reply'; readonly text: string }
  /** A consent change asked for through the admin API by the token named `by`; `cause` names the request. */
  | {
      readonly type: 'admin_consent';
      readonly topic: string;
      readonly subscribed: boolean;
      readonly by: string;
      readonly cause?: string;
    }
  /** A sequence started or stopped for the user through the admin API or the CLI (`by`: the token or "cli"). */
  | { readonly type: 'admin_sequence'; readonly sequence: string; readonly action: 'start' | 'stop'; readonly by: string }
  /** An alert for a staff member who is also a Messenger user of the Page (NOTIFY_ADMIN_PSIDS). */
  | { readonly type: 'staff_notice'; readonly text: string }
  /** Another app asks us for thread control. */
  | { readonly type: 'control_requested'; readonly appId: string }
  /**
   * The sender's report on a thread-control call, made at `at`: our pass to the Page Inbox went
   * through or was refused (a Conversation Routing page); our take went through or was refused.
   */
  | { readonly type: 'handover_result'; readonly outcome: HandoverOutcome; readonly at: number }
  | BroadcastDue
  /**
   * The requester's answer to a `request` effect with this id, through the user's own inbox lane.
   * ok: a 2xx with `json` (absent when the body was not JSON); not_found: a 4xx; failed: a 5xx,
   * a refused or unreachable host, a too large answer; timeout: no answer in time.
   */
  | {
      readonly type: 'request_result';
      readonly id: string;
      readonly outcome: RequestOutcome;
      readonly status?: number;
      readonly json?: unknown;
    }
  /**
   * The language model's choice for a `classify_question` effect with this id (questionModel.ts):
   * `question` only when it chose exactly one of the questions it was given; absent otherwise.
   */
  | { readonly type: 'question_choice'; readonly id: string; readonly outcome: QuestionChoiceOutcome; readonly question?: string }
  | { readonly type: 'none' };

/** chosen: one known question; none: the model said none; invalid: anything else it said; failed / timeout: no usable answer. */
export const QUESTION_CHOICE_OUTCOMES = ['chosen', 'none', 'invalid', 'failed', 'timeout'] as const;
export type QuestionChoiceOutcome = (typeof QUESTION_CHOICE_OUTCOMES)[number];
/** A `question_choice` as stored in the inbox (decoded with this before the engine sees it). */
export const questionChoiceSchema = z.object({
  type: z.literal('question_choice'),
  id: z.string().max(200),
  outcome: z.enum(QUESTION_CHOICE_OUTCOMES),
  question: z.string().max(64).optional(),
});

export const REQUEST_OUTCOMES = ['ok', 'not_found', 'failed', 'timeout'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
/** A `request_result` as stored in the inbox (the runtime decodes it with this before the engine sees it). */
export const requestResultSchema = z.object({
  type: z.literal('request_result'),
  id: z.string().max(200),
  outcome: z.enum(REQUEST_OUTCOMES),
  status: z.number().int().optional(),
  json: z.unknown().optional(),
});

export const HANDOVER_OUTCOMES = ['passed', 'handover_disabled', 'taken', 'take_failed'] as const;
export type HandoverOutcome = (typeof HANDOVER_OUTCOMES)[number];
/** Events about who owns the thread, or someone else's message: no flow runs for them. */
export type ThreadEvent = Extract<
  EngineEvent,
  {
    type:
      | 'standby_message'
      | 'agent_message'
      | 'control_returned'
      | 'control_taken'
      | 'control_requested'
      | 'handover_result'
      | 'admin_pause'
      | 'admin_resume'
      | 'agent_reply'
      | 'staff_notice'
      | 'timer';
  }
>;
const THREAD_EVENTS: ReadonlySet<EngineEvent['type']> = new Set([
  'standby_message',
  'agent_message',
  'control_returned',
  'control_taken',
  'control_requested',
  'handover_result',
  'admin_pause',
  'admin_resume',
  'agent_reply',
  'staff_notice',
  'timer',
]);
export const isThreadEvent = (e: EngineEvent): e is ThreadEvent => THREAD_EVENTS.has(e.type);

export type ReceiptEvent = Extract<EngineEvent, { type: 'delivered' | 'read' }>;
/** Delivery and read receipts: they move the state's watermarks and nothing else. */
export const isReceipt = (e: EngineEvent): e is ReceiptEvent => e.type === 'delivered' || e.type === 'read';

/**
 * Consent changes that are not a message to the bot (an admin's, a stop or resume of marketing
 * messages, anything on standby): the engine records them and nothing else runs.
 */
export const isConsentOnly = (e: EngineEvent): boolean =>
  e.type === 'admin_consent' ||
  e.type === 'admin_sequence' ||
  (e.type === 'optin' && e.marketing !== undefined && (e.marketing.status !== 'optin' || e.standby === true));
