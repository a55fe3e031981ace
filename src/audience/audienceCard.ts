import { z } from 'zod';
import { isTimeZone } from '../engine/businessHours';
import type { UserState } from '../engine/userState';

/**
 * The facts about one user that audience filters read, kept per partition in the audience index
 * (keys.ts `audience`) and written in the same commit as the state. Derived from the state only,
 * so it can always be rebuilt from it. Kept small: every user has one, and a segment count reads
 * every card of the Page.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const audienceCardSchema = z.object({
  tags: z.array(z.string()),
  /** Scalar fields as the state holds them. */
  fields: z.record(z.string(), scalar),
  /** Consent per topic: subscribed (true) or withdrawn (false); a topic never asked is absent. */
  consent: z.record(z.string(), z.boolean()),
  /** The customer's last own action (Meta's time), null: never. The "last interaction". */
  last: z.number().nullable(),
  /** When their messaging window closes, null: never opened. */
  window: z.number().nullable(),
  /**
   * The `ref` of their latest referral (m.me link or ad); without one, a `ref` field a flow stored
   * (how segments by ref worked before states recorded referrals).
   */
  ref: z.string().nullable(),
  /**
   * Their latest referral's source (SHORTLINK, ADS, CUSTOMER_CHAT_PLUGIN…) and its ad id. Absent
   * when there is none (most users: no bytes spent on them) and on cards from before referrals.
   */
  src: z.string().optional(),
  ad: z.string().optional(),
  /** Where the conversation is (flow and node reached), null before any flow started. */
  flow: z.string().nullable(),
  node: z.string().nullable(),
  thread: z.string(),
  /** Until when the user has an active Marketing Messages token (ms), null: none. */
  mm: z.number().nullable(),
  /**
   * The user's time zone for sends at their local hour: an IANA name they gave (field `timezone`),
   * else the profile's UTC offset in hours (no DST). Absent: unknown (the Page's zone is used).
   */
  tz: z.union([z.string(), z.number()]).optional(),
  /** Inactive-user retention: when the store forgets this user; past it the card counts as gone. */
  exp: z.number().optional(),
});
export type AudienceCard = z.infer<typeof audienceCardSchema>;

/** An active token without an expiry: valid until told otherwise. */
const NO_EXPIRY = 8.64e15;

/** Until when the user holds an active Marketing Messages token (the latest expiry of those), or null. */
function tokenUntil(state: UserState): number | null {
  let until: number | null = null;
  for (const t of Object.values(state.marketingTokens))
    if (t.status === 'active') until = Math.max(until ?? 0, t.expiresAt ?? NO_EXPIRY);
  return until;
}

/** The card of a state. Pure; the same state always gives the same JSON (keys in a fixed order). */
export function audienceCardOf(state: UserState): AudienceCard {
  const consent: Record<string, boolean> = {};
  for (const [topic, c] of Object.entries(state.consent)) consent[topic] = c.subscribed;
  const field = state.fields.ref;
  const referral = state.referral;
  return {
    tags: state.tags,
    fields: state.fields,
    consent,
    last: state.lastInboundAt,
    window: state.windowEndsAt,
    ref: referral?.ref ?? (typeof field === 'string' ? field : null),
    ...(referral ? { src: referral.source } : {}),
    ...(referral?.adId ? { ad: referral.adId } : {}),
    flow: state.position?.flow ?? null,
    node: state.position?.node ?? null,
    thread: state.thread,
    mm: tokenUntil(state),
    ...zoneOf(state),
  };
}

/** The card's `tz`: a valid IANA zone the user gave wins over the profile's fixed offset. */
function zoneOf(state: UserState): { tz?: string | number } {
  const given = state.fields.timezone;
  if (typeof given === 'string' && isTimeZone(given)) return { tz: given };
  const offset = state.profile?.ok ? state.profile.timezone : undefined;
  return offset === undefined ? {} : { tz: offset };
}

/** The card as the index stores it: with the retention expiry, when there is one. */
export const cardJson = (card: AudienceCard, exp: number | undefined): string =>
  JSON.stringify(exp === undefined ? card : { ...card, exp });

export type DecodedCard = { readonly ok: true; readonly card: AudienceCard } | { readonly ok: false; readonly reason: string };

/** Reads a stored card (validated: the index may have been written by another release or by hand). */
export function decodeAudienceCard(json: string): DecodedCard {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = audienceCardSchema.safeParse(value);
  if (!parsed.success)
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { ok: true, card: parsed.data };
}
