import { EffectDelivery } from './effectDelivery';
import { parseBroadcastStatField } from '../engine/broadcastSend';
import { backoffMs } from '../messenger/graphErrors';
import type { OutboxDone, OutboxEntry } from '../store/ports';
import { decodeEffect, type DecodedEffect } from './decodeEffect';
import type { Attempt, SenderOptions, Step } from './senderOptions';
import { HeldRecords, heldRetryMs } from './heldRecords';
import { furthest, OutboxAcks, type AckCarry } from './outboxAcks';
import { isBulk, liveFirst, supersededSeen } from './roundOrder';
import { liveWhile, type LivePassOutcome, type LiveSteps, type RoundShare } from './livePass';
import { streamIdAfter } from '../store/records';
import { OutboxWindow } from './outboxWindow';
import { retryStore, storeBackoffMs } from './storeRetry';
import { BlockedUsers, isBotAnswer, ReplyLimiter } from './userFairness';

const OUTBOX_BATCH = 50;
/** Reads per round at most, when the first are filled by users the round cannot serve now. */
const MAX_READS = 10;
/** One user's entries per round: a user with a long backlog must not make everyone else's round wait. */
const PER_USER_PER_ROUND = 5;
/** Users of one partition whose entries are delivered at the same time (each user's in order). */
export const DEFAULT_USERS_IN_FLIGHT = 4;

type Round =
  | { readonly type: 'delivered' }
  /** Nothing could be finished: the only entries left wait behind entries a newer Talkshop wrote. */
  | { readonly type: 'held' }
  | { readonly type: 'postponed'; readonly ms?: number }
  /** Every user with entries waits out a transient failure of their own; new entries end the wait. */
  | { readonly type: 'blocked'; readonly ms: number }
  | { readonly type: 'lease_lost' };

/** One partition's sending while the sender holds it: what its rounds and live passes share. */
interface PartitionRun {
  readonly partition: number;
  readonly active: () => boolean;
  readonly wake: (ms: number) => Promise<void>;
  readonly share: RoundShare;
  readonly acks: OutboxAcks;
  readonly blocked: BlockedUsers;
}

/**
 * Delivers a partition's outbox to Meta: each user's entries in order (so their messages arrive
 * in the order the engine produced them), a few users at a time. An entry is recorded as done
 * only after Meta accepted it or it was deliberately dropped, under the partition's lease; after a
 * crash the next lease holder resumes with the entries not recorded. The only possible duplicates
 * are entries whose 200 came back but whose record did not (the unavoidable gap): at most one per
 * user in flight.
 */
export class OutboxSender {
  private readonly effects: EffectDelivery;
  private readonly held: HeldRecords;
  private readonly replies: ReplyLimiter;

  constructor(private readonly o: SenderOptions) {
    this.held = new HeldRecords('outbox', o.metrics, o.logger);
    this.replies = new ReplyLimiter(o.replyLimit ?? { perMinute: 0, burst: 0 });
    this.effects = new EffectDelivery(o);
  }

  /** Runs until `active()` turns false; `wake` resolves when new entries may exist (or times out). */
  async run(partition: number, leaseToken: string, active: () => boolean, wake: (ms: number) => Promise<void>): Promise<void> {
    // A store hiccup here must not end the task while the lease is held: the partition would send nothing more.
    const cursor = await retryStore(
      'outbox cursor read',
      () => this.o.store.states.outboxCursor(partition),
      this.ctx(partition, active),
    );
    if (cursor === undefined) return;
    const window = new OutboxWindow(cursor);
    const blocked = new BlockedUsers(this.o.userBackoff);
    const share: RoundShare = { partition, window, claimed: new Set(), lastRead: cursor };
    const acks = new OutboxAcks((done, to) => this.o.store.states.ackOutbox(partition, leaseToken, done, to));
    const ctx: PartitionRun = { partition, active, wake, share, acks, blocked };
    try {
      await this.rounds(ctx, window, blocked);
    } finally {
      // Given up: requests still out are aborted, and their entries stay for the next holder.
      this.o.requests?.abandon(partition);
    }
  }

  private async rounds(ctx: PartitionRun, window: OutboxWindow, blocked: BlockedUsers): Promise<void> {
    const { partition, active, wake, share } = ctx;
    let failures = 0; // consecutive rounds that had to postpone an entry
    let heldRounds = 0; // consecutive rounds that found only entries waiting behind a newer Talkshop's
    let readFailures = 0;
    while (active()) {
      let entries: OutboxEntry[];
      let complete: boolean;
      try {
        ({ entries, complete } = await this.readPast(partition, window.position, blocked));
        readFailures = 0;
      } catch (err) {
        if (readFailures++ % 10 === 0) this.o.logger.warn({ err, partition }, 'outbox read failed; retrying');
        this.o.metrics.storeRetries.inc({ operation: 'outbox read' });
        await this.o.sleep(storeBackoffMs(readFailures));
        continue;
      }
      window.sync(
        entries.map((e) => e.id),
        complete,
      );
      if (entries.length === 0) {
        await wake(1000);
        continue;
      }
      window.track(entries.map((e) => e.id));
      share.claimed = new Set(entries.map((e) => e.userKey));
      // A read cut short leaves entries after it unread by this round: a live pass must read from there.
      const end = (entries.at(-1) as OutboxEntry).id;
      share.lastRead = !complete || streamIdAfter(end, share.lastRead) ? end : share.lastRead;
      const round = await this.round(ctx, entries);
      if (round.type === 'lease_lost') return;
      if (round.type === 'postponed') {
        failures += 1;
        await this.pauseWhileActive(round.ms ?? backoffMs(failures, Math.random), active, wake);
      } else failures = 0;
      if (round.type === 'blocked') await wake(round.ms);
      // Look again after a growing pause (new entries wake it sooner): a newer worker may hold the
      // partition by then, or the entry may have been removed.
      heldRounds = round.type === 'held' ? heldRounds + 1 : 0;
      if (round.type === 'held') await wake(heldRetryMs(heldRounds, this.o.heldRetryMs));
    }
  }

  /**
   * Reads the outbox from the cursor, and reads on (up to MAX_READS batches) while what it has is
   * taken up by fewer users than can be served at once: users waiting out a failure, or one user
   * with a backlog (a flood), must not hide the users behind them.
   */
  private async readPast(
    partition: number,
    from: string,
    blocked: BlockedUsers,
  ): Promise<{ entries: OutboxEntry[]; complete: boolean }> {
    const entries: OutboxEntry[] = [];
    const now = Date.now();
    for (let reads = 0; reads < MAX_READS; reads++) {
      const after = entries.at(-1)?.id ?? from;
      const batch = await this.o.store.states.readOutbox(partition, after, OUTBOX_BATCH);
      entries.push(...batch);
      if (batch.length < OUTBOX_BATCH) return { entries, complete: true };
      const ready = new Set(entries.filter((e) => !blocked.isBlocked(e.userKey, now)).map((e) => e.userKey));
      if (ready.size >= (this.o.usersInFlight ?? DEFAULT_USERS_IN_FLIGHT)) break;
    }
    return { entries, complete: false };
  }

  /**
   * Delivers a batch: each user's entries in order, up to `usersInFlight` users at a time (Graph
   * latency is spent in parallel, not added up). An entry that must wait ends the round (the
   * entries already in flight finish); the next round starts after the backoff, with that entry.
   * Every finished entry is acked at once, so after a crash only the entries in flight at that
   * moment (≤ usersInFlight per partition) can be sent again. An entry a newer Talkshop wrote
   * stops its user's lane (their later entries must not overtake it); other users go on.
   */
  private async round(run: PartitionRun, entries: readonly OutboxEntry[]): Promise<Round> {
    const { partition, active, blocked } = run;
    const byUser = new Map<string, OutboxEntry[]>();
    const now = Date.now();
    for (const e of entries) {
      if (blocked.isBlocked(e.userKey, now) || this.o.requests?.has(e.id)) continue;
      const queue = byUser.get(e.userKey) ?? [];
      if (queue.length < PER_USER_PER_ROUND) byUser.set(e.userKey, [...queue, e]);
    }
    const queues = liveFirst([...byUser.values()], this.o.usersInFlight ?? DEFAULT_USERS_IN_FLIGHT);
    // Only bulk sends hold a round up (they wait for the Page's rate behind live replies).
    const bulkRound = queues.some((q) => q[0] !== undefined && isBulk(q[0]));
    if (queues.length === 0) return { type: 'blocked', ms: blocked.nextIn(now) ?? 1000 };
    const failing = new Set<string>(); // users whose entry failed transiently this round
    const superseded = supersededSeen(entries);
    let outcome: Round = { type: 'delivered' };
    let held = false;
    let finished = 0;
    // Lanes finishing together keep the shortest wait (a backoff without `ms` counts as 0).
    const postpone = (ms: number | undefined): void => {
      const current: Round = outcome;
      if (current.type === 'delivered' || (current.type === 'postponed' && (ms ?? 0) < (current.ms ?? 0)))
        outcome = { type: 'postponed', ms };
    };
    const lane = async (): Promise<void> => {
      // Seen markers and typing indicators this lane finished, acked with its next entry (AckCarry).
      const carry: AckCarry = [];
      try {
        // A page-wide postponement (rate limit, store, token) ends the round for every lane, and so
        // does a second user failing transiently: a failing Graph API fails for every user, and
        // trying each of them would turn one outage into a retry storm. One user failing alone
        // waits on their own (BlockedUsers) and the others go on.
        for (let queue = queues.shift(); queue && active() && outcome.type === 'delivered'; queue = queues.shift()) {
          for (const entry of queue) {
            if (!active() || outcome.type !== 'delivered') return;
            const decoded = decodeEffect(entry.effect);
            if (decoded.type === 'unknown') {
              this.held.note(partition, entry.id, decoded); // it stays in the outbox
              held = true;
              break;
            }
            const tried: Attempt = superseded.has(entry.id)
              ? { type: 'done', outcome: 'superseded' }
              : await this.attempt(run, entry, decoded);
            if (tried.type === 'started') continue; // a request: acked when its result is recorded
            let step: Step = tried;
            if (step.type === 'retry' && step.why === 'retryable' && failing.size === 0) {
              const tried = blocked.failed(entry.userKey, entry.id, Date.now());
              this.o.logger.debug(
                { partition, entryId: entry.id, attempts: tried.attempts },
                'delivery failed for one user; they wait',
              );
              if (tried.verdict === 'blocked') {
                failing.add(entry.userKey);
                this.o.metrics.usersPostponed.inc();
                break;
              }
              this.o.logger.warn(
                { partition, entryId: entry.id, attempts: tried.attempts },
                'delivery given up after transient failures',
              );
              step = { type: 'done', outcome: 'gave_up' };
            }
            if (step.type === 'retry') {
              this.o.logger.debug({ partition, entryId: entry.id, why: step.why, ms: step.ms }, 'delivery postponed');
              blocked.unblock(failing);
              postpone(step.ms);
              return;
            }
            finished += 1;
            if (!(await this.finish(run, entry, decoded, step, carry))) outcome = { type: 'lease_lost' };
          }
        }
      } finally {
        if (!(await this.flush(run, carry))) outcome = { type: 'lease_lost' };
      }
    };
    const lanes = Promise.all(
      Array.from({ length: Math.min(this.o.usersInFlight ?? DEFAULT_USERS_IN_FLIGHT, queues.length) }, lane),
    );
    if (!bulkRound) await lanes;
    else if ((await this.liveWhile(run, lanes)) === 'lease_lost') return { type: 'lease_lost' };
    return outcome.type === 'delivered' && held && finished === 0 ? { type: 'held' } : outcome;
  }

  /** Live passes while a round with bulk sends is busy (see liveWhile). */
  private liveWhile(run: PartitionRun, lanes: Promise<unknown>): Promise<LivePassOutcome> {
    const steps: LiveSteps = {
      superseded: supersededSeen,
      isBulk,
      attempt: (entry, decoded) => this.attempt(run, entry, decoded),
      finish: (entry, decoded, step, carry) => this.finish(run, entry, decoded, step, carry),
      flush: (carry) => this.flush(run, carry),
      read: (after, count) => this.o.store.states.readOutbox(run.partition, after, count),
    };
    const lanesInFlight = this.o.usersInFlight ?? DEFAULT_USERS_IN_FLIGHT;
    return liveWhile({ ...run, steps, lanes: lanesInFlight, logger: this.o.logger }, lanes);
  }

  /**
   * Records a done entry: counted, the cursor moved past the run of done entries, acked with the
   * entries other lanes finished meanwhile. Retried until recorded (the script is idempotent) or
   * the lease is gone (false): an entry Meta accepted and that is not recorded would go again.
   */
  private async finish(
    run: PartitionRun,
    entry: OutboxEntry,
    decoded: Exclude<DecodedEffect, { type: 'unknown' }>,
    step: Step & { type: 'done' },
    carry: AckCarry,
  ): Promise<boolean> {
    run.blocked.finished(entry.id, Date.now(), step.outcome === 'sent');
    const type = decoded.type === 'effect' ? decoded.effect.type : decoded.kind;
    this.o.metrics.deliveries.inc({ type, outcome: step.outcome });
    const stat = step.stat;
    const done = { id: entry.id, ...(stat === undefined ? {} : { stat }) };
    if (stat === undefined && (type === 'mark_seen' || type === 'typing')) {
      carry.push(done);
      return true;
    }
    if (!(await this.flush(run, carry, done))) return false;
    if (stat !== undefined) this.o.metrics.broadcastCounts.inc(parseBroadcastStatField(stat));
    return true;
  }

  /**
   * Acks what the lane carries and `done`, marking them done in the outbox window only now, as the
   * ack goes out (the cursor moves with it to the furthest run of done entries); false when the
   * lease is gone.
   */
  private async flush(run: PartitionRun, carry: AckCarry, done?: OutboxDone): Promise<boolean> {
    const batch = [...carry.splice(0), ...(done ? [done] : [])];
    if (batch.length === 0) return true;
    let passed: string | undefined;
    for (const d of batch) passed = furthest(passed, run.share.window.finish(d.id));
    const ack = () => run.acks.ack(batch, passed);
    return (await retryStore('outbox ack', ack, this.ctx(run.partition, run.active))) === true;
  }

  /**
   * A known effect is delivered; an unreadable one can never be, so it is dropped (and counted). A
   * flow request is started beside the rounds (FlowRequests) and acknowledged once its result is in
   * the user's inbox.
   */
  private async attempt(
    run: PartitionRun,
    entry: OutboxEntry,
    decoded: Exclude<DecodedEffect, { type: 'unknown' }>,
  ): Promise<Attempt> {
    const partition = run.partition;
    if (decoded.type === 'effect') {
      const requests = this.o.requests;
      if ((decoded.effect.type === 'request' || decoded.effect.type === 'classify_question') && requests) {
        if (requests.full) return { type: 'retry', why: 'requests_full' };
        const started = { partition, id: entry.id, userKey: entry.userKey, effect: decoded.effect };
        requests.start(started, run.active, async () => {
          await this.finish(run, entry, decoded, { type: 'done', outcome: 'requested' }, []);
        });
        return { type: 'started' };
      }
      if (isBotAnswer(decoded.effect)) {
        const limited = this.replies.answers(entry.userKey, entry.itemId, this.o.now());
        if (limited.fresh && !limited.answered) this.o.metrics.repliesLimited.inc();
        if (!limited.answered) return { type: 'done', outcome: 'refused_flood' };
      }
      return this.effects.deliver(partition, { ...entry, effect: decoded.effect });
    }
    this.o.logger.warn(
      { partition, entryId: entry.id, effect: decoded.kind, detail: decoded.detail },
      'unreadable outbox entry dropped',
    );
    return { type: 'done', outcome: 'invalid_dropped' };
  }

  /**
   * Waits `ms` (a backoff or a Page pause, up to a minute) but returns as soon as the partition is
   * given up, so a graceful stop never waits out a pause. New commits do not cut the wait short.
   */
  private async pauseWhileActive(ms: number, active: () => boolean, wake: (ms: number) => Promise<void>): Promise<void> {
    // Real elapsed time (not the injected business clock): this is a wait, not a timestamp.
    const until = Date.now() + ms;
    while (active() && Date.now() < until) await wake(Math.min(until - Date.now(), 1000));
  }

  private ctx(partition: number, active: () => boolean) {
    return { logger: this.o.logger, metrics: this.o.metrics, sleep: this.o.sleep, active, partition };
  }
}
