import type { MessageTag } from './sendApiSchema';

/**
 * Meta's rules for when a Page may message someone (2026), as data: the messaging window, the
 * message tags usable outside it, and the Page Inbox's app id. The engine records the window with
 * these, the send policy and the admin API check against them; nothing restates a number.
 * Facts: Meta's Messenger Platform docs — messaging window, message tags, handover / Conversation Routing.
 */

export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** Window lengths: how long after the user's last own action the Page may send freely. */
export const MESSAGING_WINDOW = {
  /** After the user's last own action (message, tap, reaction, m.me link…). */
  standardMs: DAY_MS,
  /** After the first message following a click-to-Messenger ad. */
  adReferralMs: 7 * DAY_MS,
} as const;

/** How long a person may still answer (HUMAN_AGENT) after the customer's last message. */
export const HUMAN_AGENT_MS = 7 * DAY_MS;

/** Who may use a tag outside the window, and for how long after the user's last message. */
export interface TagRule {
  /** 'anyone': the bot, a scheduled send or a person; 'human': only a person's own reply. */
  readonly usableBy: 'anyone' | 'human';
  /** The tag expires this long after the user's last message (null: no limit of its own). */
  readonly sinceLastInboundMs: number | null;
  /** Why a send that used it too late is refused. */
  readonly expiredReason?: 'human_agent_expired';
}

/**
 * The tags a Page may put on a send outside the window. Every tag carries non-promotional content
 * only: deals, offers, coupons and discounts are banned under all of them.
 */
export const TAG_RULES: Readonly<Record<MessageTag, TagRule>> = {
  CONFIRMED_EVENT_UPDATE: { usableBy: 'anyone', sinceLastInboundMs: null },
  POST_PURCHASE_UPDATE: { usableBy: 'anyone', sinceLastInboundMs: null },
  ACCOUNT_UPDATE: { usableBy: 'anyone', sinceLastInboundMs: null },
  HUMAN_AGENT: { usableBy: 'human', sinceLastInboundMs: HUMAN_AGENT_MS, expiredReason: 'human_agent_expired' },
};

/** The Page Inbox's app id: where a thread goes when a customer asks for a person. */
export const PAGE_INBOX_APP_ID = '263902037430900';
