/**
 * The soak's invariants (issue #14), checked after the load has stopped and everything in flight
 * has settled, from what the customers were told (the webhook's 200s), what the fake Graph API
 * received and what the store holds. Pure: bench/soak.ts gathers the records, this decides; the
 * test (tests/bench/soakChecks.test.ts) feeds it injected violations to prove it fails when it should.
 *
 * - Lost: a customer action acknowledged with 200 that the user's state does not count. Every
 *   customer action (message, tap, link, standby text) adds one to the state's `inbound` in the
 *   same commit that applies it, and the generator posts one user's events one at a time, so per
 *   user `inbound` must equal the actions acknowledged (plus at most those given up on without a
 *   200, which may or may not have been stored). Receipts, echoes, Done and redeliveries add nothing.
 * - Applied twice: `inbound` above that.
 * - Sends while a person owned the thread: a message to the user between the pass to the Page
 *   Inbox reaching the fake and the customer's Done being posted.
 * - Duplicate sends: a message (or thread-control call) to a user identical to the one just before
 *   it. The customers never do what would make that legitimate (soakCustomer.ts), so each is a
 *   send repeated after a crash: the in-flight window.
 * - Out of order: the sizes and order numbers a customer typed must first show up in the bot's
 *   messages in the order they were typed.
 */

import { overtaken } from './overtaken';

/** A call at the fake Graph API about one user, reduced to what the checks need. */
export interface SentRecord {
  readonly at: number;
  readonly kind: 'message' | 'thread_control';
  /** A hash of the call's body without the recipient: equal for the same message twice. */
  readonly hash: string;
  /** Marks ("EU 41", "order 104233") found in the message's text. */
  readonly marks: readonly string[];
  /** The start of the message's text, for the examples. */
  readonly text?: string;
}

export interface UserRecord {
  readonly psid: string;
  /** Customer actions answered 200 by the webhook. */
  readonly acked: number;
  /** Customer actions given up on without a 200. */
  readonly uncertain: number;
  /** The state's `inbound` (undefined: no state stored). */
  readonly stored: number | undefined;
  readonly humanIntervals: ReadonlyArray<{ readonly from: number; readonly to: number }>;
  /** Marks typed, in order. */
  readonly marks: readonly string[];
  /** The user's calls at the fake, in the order the fake processed them. */
  readonly sends: readonly SentRecord[];
}

export interface SoakVerdict {
  readonly users: number;
  readonly expected: number;
  readonly applied: number;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly duplicateSends: number;
  /** When the first copy of each duplicate reached the fake (to set beside the faults' times). */
  readonly duplicateFirstAts: readonly number[];
  readonly sendsWhileHuman: number;
  readonly outOfOrder: number;
  /** Up to 40 examples of violations, for the log. */
  readonly examples: readonly string[];
}

/** Extracts the marks the checker follows from a bot message's text. */
// Not a range ("EU 36–47" in the shop's hint names no size the customer typed).
export const marksIn = (text: string): string[] => text.match(/EU \d{2}(?![\d–-])|order \d{6}\b/g) ?? [];

export function checkSoak(users: Iterable<UserRecord>): SoakVerdict {
  let count = 0;
  let expected = 0;
  let applied = 0;
  let lost = 0;
  let appliedTwice = 0;
  let duplicateSends = 0;
  const duplicateFirstAts: number[] = [];
  let sendsWhileHuman = 0;
  let outOfOrder = 0;
  const examples: string[] = [];
  const note = (s: string) => {
    if (examples.length < 40) examples.push(s);
  };
  for (const u of users) {
    count += 1;
    const stored = u.stored !== undefined && Number.isFinite(u.stored) ? u.stored : 0; // unreadable counts as none
    expected += u.acked;
    applied += stored;
    if (stored < u.acked) {
      lost += u.acked - stored;
      note(`${u.psid}: ${u.acked} actions acknowledged, ${stored} applied`);
    } else if (stored > u.acked + u.uncertain) {
      appliedTwice += stored - u.acked - u.uncertain;
      note(`${u.psid}: ${u.acked} actions acknowledged (+${u.uncertain} unacknowledged), ${stored} applied`);
    }
    let previous: SentRecord | undefined;
    let lastControlAt: number | undefined;
    const firstSeen: string[] = [];
    for (const s of u.sends) {
      if (previous && previous.kind === s.kind && previous.hash === s.hash) {
        duplicateSends += 1;
        duplicateFirstAts.push(previous.at);
        note(`${u.psid}: the same ${s.kind} twice in a row, ${s.at - previous.at} ms apart: ${s.text ?? s.hash}`);
      }
      previous = s;
      if (s.kind === 'thread_control') lastControlAt = s.at;
      // In the pass's own millisecond, only what the fake received after the pass (the handover
      // message just before it often shares its millisecond).
      const owned =
        s.kind === 'message'
          ? u.humanIntervals.find((i) => s.at < i.to && (s.at > i.from || (s.at === i.from && lastControlAt === i.from)))
          : undefined;
      if (owned) {
        sendsWhileHuman += 1;
        note(
          `${u.psid}: a message ${s.at - owned.from} ms after the pass to a person, ${owned.to - s.at} ms before Done: ${s.text ?? s.hash}`,
        );
      }
      for (const m of s.marks) if (u.marks.includes(m) && !firstSeen.includes(m)) firstSeen.push(m);
    }
    for (const { index, after } of overtaken(firstSeen.map((m) => u.marks.indexOf(m)))) {
      outOfOrder += 1;
      note(
        `${u.psid}: the answer to "${firstSeen[index]}" came after the answer to "${u.marks[after]}", typed later (typed ${u.marks.join(', ')}; sent ${u.sends.map((x) => x.text ?? x.kind).join(' | ')})`,
      );
    }
  }
  return {
    users: count,
    expected,
    applied,
    lost,
    appliedTwice,
    duplicateSends,
    duplicateFirstAts,
    sendsWhileHuman,
    outOfOrder,
    examples,
  };
}
