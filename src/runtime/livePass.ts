import type { Logger } from '../logger';
import type { OutboxEntry } from '../store/ports';
import { streamIdAfter } from '../store/records';
import { decodeEffect, type DecodedEffect } from './decodeEffect';
import type { AckCarry } from './outboxAcks';
import type { OutboxWindow } from './outboxWindow';
import type { Attempt, Step } from './senderOptions';

/** A round must have run this long before live replies committed meanwhile are looked for. */
export const LIVE_PASS_AFTER_MS = 50;
/** Entries read per live pass. */
const LIVE_READ = 50;

/** What one partition's rounds and its live passes share while the sender holds the partition. */
export interface RoundShare {
  readonly partition: number;
  readonly window: OutboxWindow;
  /**
   * Users with entries read and not all delivered: every user of the round's read, and the users a
   * live pass read but did not finish. A live pass never touches them: their earlier entries must
   * go first, and the round (or the next) delivers them.
   */
  claimed: Set<string>;
  /** The newest outbox entry read so far, by the round's read or a live pass. */
  lastRead: string;
}

/** How the live pass has an entry delivered and recorded (the OutboxSender's own steps). */
export interface LiveSteps {
  /** Superseded seen markers among `entries` (supersededSeen). */
  superseded(entries: readonly OutboxEntry[]): ReadonlySet<string>;
  attempt(entry: OutboxEntry, decoded: Exclude<DecodedEffect, { type: 'unknown' }>): Promise<Attempt>;
  /** Records a done entry (a cosmetic one may wait in `carry` for the next); false when the lease is gone. */
  finish(
    entry: OutboxEntry,
    decoded: Exclude<DecodedEffect, { type: 'unknown' }>,
    step: Step & { type: 'done' },
    carry: AckCarry,
  ): Promise<boolean>;
  /** Acks what `carry` holds; false when the lease is gone. */
  flush(carry: AckCarry): Promise<boolean>;
  /** Whether the entry is bulk traffic (a broadcast or sequence step). */
  isBulk(entry: OutboxEntry): boolean;
  /** The partition's outbox entries after `after`, in order. */
  read(after: string, count: number): Promise<OutboxEntry[]>;
}

export interface LiveWhile {
  readonly partition: number;
  readonly share: RoundShare;
  readonly steps: LiveSteps;
  /** Users delivered at the same time. */
  readonly lanes: number;
  readonly active: () => boolean;
  /** Resolves at the partition's next commit, or after `ms`. */
  readonly wake: (ms: number) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Runs live passes while a round is busy: after the round has run LIVE_PASS_AFTER_MS, and again
 * whenever the partition commits, until `round` settles. Returns only once a pass under way has
 * finished, so rounds and passes never overlap.
 */
export async function liveWhile(o: LiveWhile, round: Promise<unknown>): Promise<LivePassOutcome> {
  let done = false;
  const finished = round.then(() => {
    done = true;
  });
  // A real timer, not the injected sleep (that one is for backoffs, and tests move it).
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, LIVE_PASS_AFTER_MS))]);
  while (!done && o.active()) {
    // Asked before the pass: a commit during the pass must bring the next one at once.
    const committed = o.wake(1000);
    let outcome: LivePassOutcome;
    try {
      outcome = await livePass(o.share, o.steps, o.lanes);
    } catch (err) {
      // A store hiccup: the round's own retries deal with the store; the pass just stops.
      o.logger.debug({ err, partition: o.partition }, 'live pass failed; the next round delivers');
      break;
    }
    if (outcome === 'lease_lost') return outcome;
    await Promise.race([finished, committed]);
  }
  await finished;
  return 'done';
}

export type LivePassOutcome = 'done' | 'lease_lost';

/**
 * During a long round (bulk sends waiting for the Page's rate), the replies committed since the
 * round's read would wait for the round to end. A live pass reads the entries after the newest one
 * read and delivers, at once, those of users who have nothing else pending and whose next entry is
 * a live one (a reply someone is waiting for), each user's in order. Everything else it leaves for
 * the next round, which reads from the cursor again; a failed attempt too (the round's backoff
 * rules apply there).
 */
export async function livePass(share: RoundShare, steps: LiveSteps, lanes: number): Promise<LivePassOutcome> {
  const entries = await steps.read(share.lastRead, LIVE_READ);
  const last = entries.at(-1);
  if (!last) return 'done';
  share.window.track(entries.map((e) => e.id));
  if (streamIdAfter(last.id, share.lastRead)) share.lastRead = last.id;
  const byUser = new Map<string, OutboxEntry[]>();
  for (const e of entries) byUser.set(e.userKey, [...(byUser.get(e.userKey) ?? []), e]);
  const superseded = steps.superseded(entries);
  // Every user read is claimed now; only those unclaimed before, whose next entry is live, go here.
  const users = [...byUser].filter(([user, queue]) => {
    const free = !share.claimed.has(user) && queue[0] !== undefined && !steps.isBulk(queue[0]);
    share.claimed.add(user);
    return free;
  });
  let lost = false;
  const lane = async (): Promise<void> => {
    const carry: AckCarry = [];
    try {
      await serve(carry);
    } finally {
      if (!(await steps.flush(carry))) lost = true;
    }
  };
  const serve = async (carry: AckCarry): Promise<void> => {
    for (let next = users.shift(); next && !lost; next = users.shift()) {
      const [user, queue] = next;
      let finished = 0;
      for (const entry of queue) {
        const decoded = decodeEffect(entry.effect);
        if (decoded.type === 'unknown' || steps.isBulk(entry)) break;
        const step: Attempt = superseded.has(entry.id)
          ? { type: 'done', outcome: 'superseded' }
          : await steps.attempt(entry, decoded);
        if (step.type === 'started') {
          finished += 1; // a request now runs on its own; the user's next entries may go
          continue;
        }
        if (step.type !== 'done') break;
        if (!(await steps.finish(entry, decoded, step, carry))) {
          lost = true;
          return;
        }
        finished += 1;
      }
      // Everything of theirs read so far is delivered: their next entries may go in a later pass.
      if (finished === queue.length) share.claimed.delete(user);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, users.length) }, lane));
  return lost ? 'lease_lost' : 'done';
}
