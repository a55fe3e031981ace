import type { EngineEffect } from '../engine/effects';
import { backoffMs, type BackoffOptions } from '../messenger/graphErrors';

/**
 * How many of one user's inbound events get an answer: a token bucket per user, `burst` events
 * answered in full, then `perMinute` a minute. Every event is still applied (fields, tags,
 * transcript, handovers); only the bot's own replies to a user who writes faster than this are
 * dropped, whole per event (never half an answer). 0 turns the limit off.
 */
export interface ReplyLimit {
  readonly perMinute: number;
  readonly burst: number;
}

/** Users whose bucket is remembered per sender; the least recently answered are forgotten first. */
const MAX_USERS = 50_000;

/** The effects that are the bot answering: replies to an event, and the cosmetics around them. */
export function isBotAnswer(effect: EngineEffect): boolean {
  if (effect.type === 'mark_seen' || effect.type === 'typing') return true;
  return effect.type === 'send' && effect.messaging === 'RESPONSE' && !effect.byHumanAgent;
}

interface Bucket {
  tokens: number;
  at: number;
  itemId: string;
  answered: boolean;
}

export class ReplyLimiter {
  private readonly users = new Map<string, Bucket>();

  constructor(private readonly limit: ReplyLimit) {}

  /**
   * Whether the bot answers `itemId` of this user. Decided once per event, at its first answer
   * entry, so the entries of one answer go all or none. `fresh` is true when this call decided.
   */
  answers(userKey: string, itemId: string, now: number): { readonly answered: boolean; readonly fresh: boolean } {
    if (this.limit.perMinute <= 0) return { answered: true, fresh: false };
    const last = this.users.get(userKey);
    if (last?.itemId === itemId) return { answered: last.answered, fresh: false };
    const refill = last ? ((now - last.at) * this.limit.perMinute) / 60_000 : this.limit.burst;
    const tokens = Math.min(this.limit.burst, (last?.tokens ?? 0) + Math.max(0, refill));
    const answered = tokens >= 1;
    this.users.delete(userKey); // re-inserted last: Map order is recency
    this.users.set(userKey, { tokens: answered ? tokens - 1 : tokens, at: now, itemId, answered });
    if (this.users.size > MAX_USERS) this.users.delete(this.users.keys().next().value as string);
    return { answered, fresh: true };
  }
}

/** Tries at one entry that failed with a transient Graph error before it is given up (outcome gave_up). */
export const MAX_TRANSIENT_ATTEMPTS = 8;

/**
 * Users of one partition whose delivery failed with a transient error, set aside until their
 * backoff ends, so one recipient that keeps failing does not hold up everyone else in the
 * partition. A failure counts against its entry only when some delivery succeeded since the
 * entry's previous failure (Meta works, just not for this user): an outage, when nothing gets
 * through, never gives an entry up. An entry that failed MAX_TRANSIENT_ATTEMPTS such times is
 * given up. Kept in memory: a new lease holder starts the count again.
 */
export class BlockedUsers {
  private readonly until = new Map<string, number>();
  private readonly entries = new Map<string, { attempts: number; failedAt: number }>();
  private lastSuccessAt = -Infinity;

  /** `backoff`: how long a user waits after each failure (default: the Graph client's retry backoff). */
  constructor(private readonly backoff?: BackoffOptions) {}

  isBlocked(userKey: string, now: number): boolean {
    const t = this.until.get(userKey);
    if (t === undefined) return false;
    if (t > now) return true;
    this.until.delete(userKey);
    return false;
  }

  /** Counts a failed try at `entryId`; 'give_up' once it had its tries, else the user waits. */
  failed(userKey: string, entryId: string, now: number): { readonly verdict: 'give_up' | 'blocked'; readonly attempts: number } {
    const prev = this.entries.get(entryId);
    const attempts = !prev ? 1 : prev.attempts + (this.lastSuccessAt > prev.failedAt ? 1 : 0);
    if (attempts >= MAX_TRANSIENT_ATTEMPTS) {
      this.entries.delete(entryId);
      return { verdict: 'give_up', attempts };
    }
    this.entries.set(entryId, { attempts, failedAt: now });
    this.until.set(userKey, now + backoffMs(attempts, Math.random, this.backoff));
    return { verdict: 'blocked', attempts };
  }

  /** The round found an outage after all (a second user failed too): the users wait with everyone. */
  unblock(userKeys: Iterable<string>): void {
    for (const u of userKeys) this.until.delete(u);
  }

  /** An entry finished; `delivered` when Meta took it (proof that Meta works for others). */
  finished(entryId: string, now: number, delivered: boolean): void {
    this.entries.delete(entryId);
    if (delivered) this.lastSuccessAt = now;
  }

  /** Milliseconds until the first blocked user may be tried again (undefined: nobody is blocked). */
  nextIn(now: number): number | undefined {
    let first: number | undefined;
    for (const [user, t] of this.until) {
      // A wait that is over (a user with nothing left to send is never looked at again) is dropped,
      // else it would answer 1 ms for ever and the sender would spin.
      if (t <= now) this.until.delete(user);
      else first = first === undefined ? t : Math.min(first, t);
    }
    return first === undefined ? undefined : first - now;
  }
}
