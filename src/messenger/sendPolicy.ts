import { MESSAGING_WINDOW, TAG_RULES } from '../platform/messagingRules';
import type { MessageTag } from '../platform/sendApiSchema';

/**
 * Messenger's sending rules (2026), in one pure module, as data. The sender asks `decideSend`
 * before every Send API call; nothing here reads a clock, the store or the network.
 * Facts: docs/messenger-platform.md §4.1 (window), §4.2 (tags), §4.3 (marketing),
 * §5.3 (human agents); the README's promises on sends and on threads a person owns.
 */

/** What is about to be sent (from an engine `send` effect, a broadcast, a sequence or an agent). */
export interface OutgoingSend {
  /** The engine's intent: RESPONSE = a reply to what the user just did; UPDATE = anything else. */
  readonly messaging: 'RESPONSE' | 'UPDATE';
  readonly promotional: boolean;
  /** A tag the author asked for (used only outside the window; inside it plain sends are enough). */
  readonly tag?: MessageTag;
  /** The consent topic the content belongs to (broadcasts, sequences); the user must be subscribed. */
  readonly topic?: string;
  /** A person's own reply (admin API / agent console), not automation. */
  readonly byHumanAgent?: boolean;
}

/** What the sender knows about the recipient when it sends (from the user's state and the store). */
export interface RecipientFacts {
  /** The user's last own action (ms), null if never. */
  readonly lastInboundAt: number | null;
  /** When the messaging window closes (ms): 24 h after the last action, 7 days after an ad referral. */
  readonly windowEndsAt: number | null;
  /** False while a person owns the thread or the bot is paused for this user (handing over, it still says so). */
  readonly botOwnsThread: boolean;
  /** Meta said the person is not available (551/1545041) or the PSID is dead (100/2018001). */
  readonly unreachable: boolean;
  readonly consent: Readonly<Record<string, { readonly subscribed: boolean }>>;
  /** This send answers an inbound event of the user's (the outbox item came from a webhook event). */
  readonly replyToInbound: boolean;
}

export type RefusalReason =
  | 'outside_window_promotional'
  | 'outside_window_no_tag'
  | 'tag_not_allowed'
  | 'promotional_tag'
  | 'human_owns_thread'
  | 'unreachable'
  | 'opted_out'
  | 'human_agent_expired';

export type SendDecision =
  | { readonly type: 'send'; readonly messagingType: 'RESPONSE' | 'UPDATE' }
  | { readonly type: 'send'; readonly messagingType: 'MESSAGE_TAG'; readonly tag: MessageTag }
  | { readonly type: 'refuse'; readonly reason: RefusalReason };

interface Case {
  readonly send: OutgoingSend;
  readonly facts: RecipientFacts;
}

/**
 * Refusals that hold whatever the window, checked in this order; the first that applies wins.
 * - unreachable: Meta told us the person cannot be messaged; retrying only harms the Page.
 * - human_owns_thread: while a person owns the thread (handing over, human, paused) the bot is
 *   silent (invariant 5); only that person's own replies go out.
 * - opted_out: a send on a consent topic needs the user's current subscription to that topic
 *   (never subscribed counts as not subscribed).
 * - promotional_tag: a tag never carries promotional content, inside the window or out.
 * - tag_not_allowed: the tag is reserved for people (HUMAN_AGENT) and automation asked for it.
 */
const ALWAYS_REFUSED: ReadonlyArray<{ readonly reason: RefusalReason; readonly when: (c: Case) => boolean }> = [
  { reason: 'unreachable', when: ({ facts }) => facts.unreachable },
  { reason: 'human_owns_thread', when: ({ send, facts }) => !facts.botOwnsThread && send.byHumanAgent !== true },
  { reason: 'opted_out', when: ({ send, facts }) => send.topic !== undefined && facts.consent[send.topic]?.subscribed !== true },
  { reason: 'promotional_tag', when: ({ send }) => send.promotional && send.tag !== undefined },
  {
    reason: 'tag_not_allowed',
    when: ({ send }) => send.tag !== undefined && TAG_RULES[send.tag].usableBy === 'human' && send.byHumanAgent !== true,
  },
];

/** When the user's window closes; a state without `windowEndsAt` falls back to 24 h after the last action. */
export function windowEnd(facts: Pick<RecipientFacts, 'lastInboundAt' | 'windowEndsAt'>): number | null {
  if (facts.windowEndsAt !== null) return facts.windowEndsAt;
  return facts.lastInboundAt === null ? null : facts.lastInboundAt + MESSAGING_WINDOW.standardMs;
}

export function inWindow(facts: Pick<RecipientFacts, 'lastInboundAt' | 'windowEndsAt'>, now: number): boolean {
  const end = windowEnd(facts);
  return end !== null && now < end;
}

/**
 * Decides whether and how a message may go out at `now`:
 * - inside the window anything allowed goes as RESPONSE (a reply to an inbound event: the engine
 *   said RESPONSE and the item came from the user) or UPDATE (everything else); a requested tag is
 *   not used there, so tags stay rare (Meta audits tag use);
 * - outside it promotional content is refused; other content needs a tag (the requested one, or
 *   HUMAN_AGENT for a person's reply), within that tag's own limit (HUMAN_AGENT: 7 days after the
 *   user's last message).
 */
export function decideSend(send: OutgoingSend, facts: RecipientFacts, now: number): SendDecision {
  const refused = ALWAYS_REFUSED.find((rule) => rule.when({ send, facts }));
  if (refused) return { type: 'refuse', reason: refused.reason };

  if (inWindow(facts, now)) {
    return { type: 'send', messagingType: send.messaging === 'RESPONSE' && facts.replyToInbound ? 'RESPONSE' : 'UPDATE' };
  }
  if (send.promotional) return { type: 'refuse', reason: 'outside_window_promotional' };
  const tag = send.tag ?? (send.byHumanAgent === true ? 'HUMAN_AGENT' : undefined);
  if (tag === undefined) return { type: 'refuse', reason: 'outside_window_no_tag' };
  const rule = TAG_RULES[tag];
  if (
    rule.sinceLastInboundMs !== null &&
    (facts.lastInboundAt === null || now >= facts.lastInboundAt + rule.sinceLastInboundMs)
  ) {
    return { type: 'refuse', reason: rule.expiredReason ?? 'tag_not_allowed' };
  }
  return { type: 'send', messagingType: 'MESSAGE_TAG', tag };
}
