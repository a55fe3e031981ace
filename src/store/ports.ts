import type { MessengerEvent } from './messengerEvent';

/**
 * The storage ports the runtime depends on. Two adapters implement them (redis, memory) and one
 * contract suite (tests/store/storeContract.ts) holds both to the same behaviour.
 */

/** What an inbox item carries. Later sources (scheduler timers, admin commands) join this union. */
/** From Meta's webhook, or from the sender reporting an outcome the user's state must learn. */
export type InboxRecord = { readonly source: 'webhook' | 'sender' | 'admin' | 'timer'; readonly event: MessengerEvent };

export interface InboxItem {
  /** Stream id `<ms>-<seq>`; ids only grow within a partition, so id order is ingress order. */
  readonly id: string;
  readonly partition: number;
  readonly record: InboxRecord;
  /** Attached by Handler.prepare just before handling; never stored. */
  readonly profile?: Readonly<{ ok: true; first_name?: string; locale?: string; timezone?: number } | { ok: false }>;
}

/**
 * An inbox item this code cannot read because a newer Talkshop wrote it (during a rolling
 * deploy): an event kind it does not know, or a newer record format. Left in place, never applied
 * or skipped here: a worker that knows it applies it.
 */
export interface UnknownRecord {
  readonly type: 'unknown';
  readonly id: string;
  readonly partition: number;
  readonly reason: 'kind' | 'version';
  /** The unknown kind or version, for the log. */
  readonly detail: string;
}

/**
 * An inbox entry nobody can read (not JSON, or not a record of any format): hand edits or a bug.
 * It can never be applied, so the worker sets it aside (see InboxStore.setAside) instead of
 * letting it stop its partition, or, since one read covers many partitions, every partition the
 * worker holds.
 */
export interface CorruptRecord {
  readonly type: 'corrupt';
  readonly id: string;
  readonly partition: number;
  readonly detail: string;
}

/** What an inbox read returns: items to apply, records for a newer Talkshop and unreadable ones, in stream order. */
export type InboxRead = (InboxItem & { readonly type: 'item' }) | UnknownRecord | CorruptRecord;

/** Why an inbox item was set aside instead of applied. */
export type SetAsideReason = 'attempts' | 'corrupt';

/** An item set aside: kept (capped per partition) for a person to look at, never applied. */
export interface SetAsideEntry {
  readonly itemId: string;
  readonly reason: SetAsideReason;
  readonly attempts: number;
  readonly detail: string;
  /** The inbox entry's text exactly as stored. */
  readonly raw: string;
}

export type SetAsideOutcome = 'set_aside' | 'already_applied' | 'lease_lost';

export interface AppendRequest {
  readonly partition: number;
  readonly dedupeKey: string;
  readonly record: InboxRecord;
}

export interface AppendOutcome {
  readonly appended: number;
  readonly duplicates: number;
}

/**
 * An instruction for the outside world (an effect), as the store keeps it: JSON the store does not
 * read, and the format version its writer used. The runtime writes and decodes it; entries written
 * before formats were versioned read as version 1.
 */
export interface StoredEffect {
  readonly v: number;
  readonly body: unknown;
}

export interface StoredState {
  /** 0 for a user never seen; every committed item adds 1. */
  readonly version: number;
  /** The handler's state as it last committed it (JSON), or null for a new user. */
  readonly data: unknown;
}

/** One applied item: the user's new state and the effects, to commit with the item's ack. */
export interface CommitItem {
  readonly itemId: string;
  readonly userKey: string;
  readonly expectedVersion: number;
  readonly data: unknown;
  /** false: apply the item (cursor, ack) without writing any state (nothing to keep; the user has none). */
  readonly writeState?: false;
  readonly effects: readonly StoredEffect[];
  /** The user's entry in the partition's thread list: set it, remove it (null), or leave it (undefined). */
  readonly thread?: ThreadMark | null;
  /**
   * The user's audience card (JSON text, src/audience/audienceCard.ts; the store keeps it as is):
   * set it, remove it (null), or leave it (undefined: the card did not change).
   */
  readonly audience?: string | null;
  /**
   * Inactive-user retention: when (ms since the epoch) the store forgets the user, their state and
   * delivery facts alike (at once if that time has passed). Absent: kept for good, and an expiry an
   * earlier commit set is removed. The runtime decides; the store only applies it.
   */
  readonly expireAt?: number;
  /**
   * What the sender checks before each send, as the handler encoded it from the new state (opaque
   * text, src/runtime/sendFacts.ts): kept with the state, written (or, when absent, removed)
   * whenever the state is, so the sender reads these few bytes instead of the whole state.
   */
  readonly facts?: string;
  /**
   * Broadcast statistics this item adds to its partition's counters (keys.ts `broadcastStats`,
   * fields from broadcastStatField), once, in the same atomic step: a redelivered or replayed item
   * cannot count twice. Written even with writeState false.
   */
  readonly stats?: readonly string[];
}

/**
 * Why a user is on the admin's thread list: someone other than the bot owns (or is taking) the
 * conversation. Kept per partition next to the states, written in the same atomic commit, so
 * the list never disagrees with the states.
 */
export interface ThreadMark {
  readonly state: string;
  /** When the thread entered this state. */
  readonly since: number;
  /** The customer's last own message (null: never). */
  readonly lastInboundAt: number | null;
  /** The customer's first message in this episode that no person has answered yet (null: none). */
  readonly waitingSince: number | null;
}

export interface ThreadEntry {
  readonly userKey: string;
  readonly mark: ThreadMark;
}

/** One stored audience card: whose, and its JSON text as the commit wrote it. */
export interface AudienceCardRow {
  readonly userKey: string;
  readonly json: string;
}

/** A chunk of a partition's audience cards and where the next chunk starts (null: none left). */
export interface AudiencePage {
  readonly cards: readonly AudienceCardRow[];
  readonly next: string | null;
}

/**
 * The per-partition audience index (keys.ts `audience`), written by StateStore.commit. Read in
 * chunks so a walk over every user holds one chunk at a time. Redis walks with HSCAN: a card
 * present for the whole walk comes back at least once; one written or removed meanwhile may or
 * may not; Redis may repeat one only if the hash shrinks during the walk.
 */
export interface AudienceStore {
  /** About `count` cards of the partition from `cursor` ('0' = the start). */
  cards(partition: number, cursor: string, count: number): Promise<AudiencePage>;
  /**
   * Users with a stored state, every partition, about `count` at a time from `cursor` ('0' = the
   * start; Redis SCAN: a user may come twice). For the backfill of states older than the index.
   */
  users(cursor: string, count: number): Promise<{ readonly users: readonly StoredUser[]; readonly next: string | null }>;
  /**
   * Writes the user's card if their state is still at `version` (the state the card was made
   * from); false, writing nothing, when it is gone or a commit moved it on (that commit keeps the
   * card itself). Needs no lease: it can never put an older card over a newer one.
   */
  setCardIf(partition: number, userKey: string, version: number, json: string): Promise<boolean>;
  /**
   * Removes the user's card if their state is gone (retention expired it: Redis cannot expire a
   * hash field with the state). True when a card was removed; never removes the card of a state.
   */
  prune(partition: number, userKey: string): Promise<boolean>;
}

export interface StoredUser {
  readonly partition: number;
  readonly userKey: string;
}

export interface CommitRequest {
  readonly partition: number;
  readonly leaseToken: string;
  /** In inbox order. Several items of one user chain their versions (v, v+1, …). */
  readonly items: readonly CommitItem[];
}

export type CommitOutcome =
  /** Per item: true = applied, false = skipped because it was already applied (at or before the cursor). */
  | { readonly type: 'committed'; readonly applied: readonly boolean[] }
  /** Items before `index` were applied; the one at `index` (0-based) met another version, and it and later ones were not. */
  | { readonly type: 'stale_version'; readonly index: number; readonly currentVersion: number }
  | { readonly type: 'lease_lost' };

export interface DeliveryFacts {
  /** When Meta said the user cannot be reached (blocked the Page, deactivated); undefined if never. */
  readonly unreachableAt?: number;
}

export interface OutboxEntry {
  readonly id: string;
  readonly userKey: string;
  readonly itemId: string;
  readonly effect: StoredEffect;
}

/** An outbox entry done (delivered or dropped on purpose), and the broadcast statistic it counts, if any. */
export interface OutboxDone {
  readonly id: string;
  /** A broadcast statistic (broadcastStatField) counted once with the ack. */
  readonly stat?: string;
}

/** What the sender reads about a user before a send: the facts the last commit wrote, and Meta's verdicts. */
export interface SendFactsRow {
  /** CommitItem.facts as last written with the user's state; null when none (no state, or none kept). */
  readonly facts: string | null;
  readonly delivery: DeliveryFacts;
}

/**
 * Where an ack moves the outbox cursor: to the acked entry (the default, for in-order delivery),
 * to an earlier id (when entries are delivered out of order, the cursor only passes a run of
 * done entries), or nowhere ('stay'). A done entry leaves the outbox either way, so it is never
 * read again, even after a crash.
 */
export type OutboxCursorMove = { readonly to: string } | 'stay';

export interface InboxStore {
  /** Appends each request unless its dedupe key was seen within the dedupe TTL; atomic per request. */
  append(requests: readonly AppendRequest[]): Promise<AppendOutcome>;
  /**
   * Items with ids after the given id of each partition (at most `countPerPartition` each),
   * oldest first within a partition. Waits up to `blockMs` when there are none; [] on timeout.
   * A record of a kind or format this code does not know comes back as `unknown`; one it cannot
   * read at all throws StoreCorruptError.
   */
  readNew(after: ReadonlyMap<number, string>, countPerPartition: number, blockMs: number): Promise<InboxRead[]>;
  /** Id of the last item applied in the partition ('0-0' when none). */
  cursor(partition: number): Promise<string>;
  /** Items appended but not yet applied, per requested partition. */
  pendingCounts(partitions: readonly number[]): Promise<number[]>;
  /**
   * Records one more attempt at applying `itemId` and returns how many there have been. Durable
   * (a worker that freezes or dies mid-item leaves its count behind for the next lease holder);
   * one counter per partition, for the item attempted last, since items are applied in order.
   */
  noteAttempt(partition: number, itemId: string): Promise<number>;
  /**
   * Under the lease, moves the item from the inbox to the partition's set-aside list (capped at
   * the newest SET_ASIDE_KEPT entries) and advances the cursor to it, so the partition goes on
   * with the next item. 'already_applied' when the cursor is at or past it.
   */
  setAside(
    partition: number,
    leaseToken: string,
    itemId: string,
    reason: SetAsideReason,
    attempts: number,
    detail: string,
  ): Promise<SetAsideOutcome>;
  /** The partition's set-aside items, newest first. */
  setAsideItems(partition: number, count: number): Promise<SetAsideEntry[]>;
}

/** Set-aside items kept per partition (older ones are trimmed): enough to investigate, bounded. */
export const SET_ASIDE_KEPT = 1000;

export interface LeaseGrant {
  readonly token: string;
  readonly previous: 'released' | 'not_released';
}

export interface LeaseStore {
  /** Marks the worker alive until now+ttl and returns how many workers are alive. */
  heartbeat(workerId: string, ttlMs: number): Promise<number>;
  leave(workerId: string): Promise<void>;
  /** A fencing token if the partition was free, else null. */
  acquire(partition: number, workerId: string, ttlMs: number): Promise<string | null>;
  /**
   * acquire(), also telling whether the partition's previous lease was released (its holder let it
   * go with no item in hand, or there was none) or not (it crashed, froze past its TTL, or lost it):
   * only in the second case may an item after the cursor have been tried and never finished.
   * Optional: without it a worker treats every lease as taken over from a crash.
   */
  acquireNoting?(partition: number, workerId: string, ttlMs: number): Promise<LeaseGrant | null>;
  renew(partition: number, token: string, ttlMs: number): Promise<boolean>;
  release(partition: number, token: string): Promise<boolean>;
}

export interface StateStore {
  load(partition: number, userKey: string): Promise<StoredState>;
  /**
   * Commits a batch of a partition's items in order, each atomically: under the caller's lease
   * token, if the item is after the cursor and the user's state has the expected version, write
   * the state, append the effects to the partition's outbox, and advance the cursor to the item.
   * Stops at the first version mismatch; nothing at all changes without the lease.
   */
  commit(request: CommitRequest): Promise<CommitOutcome>;
  /** Outbox entries after `afterId`, in order (the outbox sender consumes these). */
  readOutbox(partition: number, afterId: string, count: number): Promise<OutboxEntry[]>;
  /** Entries in the partition's outbox not yet done (Redis XLEN): the broadcast fan-out paces itself by it. */
  outboxBacklog(partition: number): Promise<number>;
  /** Id of the last outbox entry delivered (or dropped on purpose) in the partition; '0-0' when none. */
  outboxCursor(partition: number): Promise<string>;
  /**
   * Records entries as done (removes them), under the partition's lease, in one atomic step; false
   * (nothing changed) without it. Each `stat` is counted in the same step, only for an entry still
   * in the outbox (an ack retried after a lost answer counts once). The cursor moves as `cursor`
   * says (default: to the last entry of `done`).
   */
  ackOutbox(partition: number, leaseToken: string, done: readonly OutboxDone[], cursor?: OutboxCursorMove): Promise<boolean>;
  /** What the sender learned about a user from Meta (e.g. 551: not reachable); forgotten with the user's state (CommitItem.expireAt). */
  deliveryFacts(partition: number, userKey: string): Promise<DeliveryFacts>;
  markUnreachable(partition: number, userKey: string, at: number): Promise<void>;
  /** The user's send facts (CommitItem.facts) and delivery facts, in one round trip. */
  sendFacts(partition: number, userKey: string): Promise<SendFactsRow>;
  /** The partition's thread list (users whose conversation is not with the bot), in no order. */
  threads(partition: number): Promise<ThreadEntry[]>;
  /**
   * Erases a user (the admin `forget` command, applied in their lane), atomically, under the lease
   * and only if `itemId` is after the cursor: their state and delivery facts, their entries in the
   * partition's thread list and audience index, their outbox entries, timers and set-aside items;
   * then advances the cursor to `itemId`, removes it from the inbox and records the tombstone.
   * Inbox items of theirs after `itemId` stay: they wrote again, and those start a new conversation.
   */
  forget(partition: number, leaseToken: string, itemId: string, userKey: string, tombstone: Tombstone): Promise<ForgetOutcome>;
  /** When the user was erased (their tombstone), or null if never. Broadcasts and sequences skip such a user. */
  forgottenAt(partition: number, userKey: string): Promise<number | null>;
  /** The user's entries still in the partition's outbox (not yet delivered), oldest first. */
  userOutbox(partition: number, userKey: string): Promise<OutboxEntry[]>;
}

/**
 * What is kept of an erased user: a digest of their user key (tombstoneIdOf: the tombstone does
 * not name them) and when they were erased.
 */
export interface Tombstone {
  readonly id: string;
  readonly deletedAt: number;
}

export type ForgetOutcome = 'forgotten' | 'already_applied' | 'lease_lost';

/** The admin command that erases a user: an `admin_command` inbox item with raw `{ command: 'forget' }`. */
export const FORGET_COMMAND = 'forget';

/** Whether an inbox record is the erase command (the worker applies it with StateStore.forget, not the engine). */
export const isForgetRecord = (record: InboxRecord): boolean =>
  record.source === 'admin' && record.event.kind === 'admin_command' && record.event.raw.command === FORGET_COMMAND;

/**
 * Live replies (a user is waiting), bulk traffic (broadcasts, sequence steps), or cosmetics (the
 * seen marker, typing indicators): in that order of precedence for the Page's rate.
 */
export type RatePriority = 'live' | 'bulk' | 'cosmetic';

export interface TakeOptions {
  /** Default 'live'. */
  readonly priority?: RatePriority;
  /**
   * Bulk only: the fraction of `burst` kept for live replies (default DEFAULT_BULK_RESERVE, 0.2;
   * at most burst - 1 tokens). A bulk take is granted only when a token remains above the reserve.
   * Cosmetic takes keep COSMETIC_RESERVE of the burst (more than bulk) whatever this says.
   */
  readonly bulkReserve?: number;
  /**
   * Take up to this many tokens in one call (default 1): as many as the bucket holds above the
   * reserve, at least one or none. Several senders waiting at once share one store round trip.
   */
  readonly count?: number;
}

export type TakeOutcome =
  { readonly granted: true; readonly count: number } | { readonly granted: false; readonly retryInMs: number };

/**
 * Token buckets shared by every process (per Page and lane, see pageRateBucket in keys.ts).
 * A bucket holds up to `burst` tokens and refills at `ratePerSec`; each send takes one.
 *
 * Priority: a live take is granted whenever the bucket holds a token; a bulk take only when the
 * bucket holds more than the bulk reserve, a cosmetic one only above the (larger) cosmetic reserve.
 * So bulk traffic keeps the bucket at the bulk reserve at most, live replies spend the reserve and
 * whatever refills, bulk gets only what live leaves over, and cosmetics only what both leave in a
 * bucket that is not under pressure: under contention live replies go first and can use the
 * whole rate.
 *
 * Time is the store's own clock (Redis TIME; an injected clock for memory), never the caller's,
 * so all processes agree. A bucket not used for a while is full (it expires in Redis).
 */
export interface RateLimitStore {
  /** Takes a token (up to `options.count`), or says how long until one would be granted at this priority (≥ 1 ms). */
  take(bucket: string, ratePerSec: number, burst: number, options?: TakeOptions): Promise<TakeOutcome>;
  /**
   * Page-wide back-off (after a 4/17/32/613 answer): every take is refused, with retryInMs up to
   * the pause's end, for `forMs` from now on the store's clock. Extends a running pause, never
   * shortens it. At the end the bucket holds one token (one probe, a live reply first) and
   * refills at its rate: no burst into a Page that Meta just throttled.
   */
  pause(bucket: string, forMs: number): Promise<void>;
}

/**
 * Timers (handover timeouts, later sequence steps): kept per partition and, when due, moved into
 * the partition's inbox by the lease holder, so they are applied in the user's lane.
 */
export interface TimerStore {
  /**
   * Sets the timer in `slot` (one per slot, e.g. one user's handover timeout): an earlier timer in
   * the slot is replaced, so postponing a timer leaves nothing stale behind. Idempotent.
   */
  set(partition: number, slot: string, dueAt: number, record: InboxRecord): Promise<void>;
  /** Removes the slot's timer, if any. */
  clear(partition: number, slot: string): Promise<void>;
  /** Moves up to `limit` timers due at `now` into the inbox; -1 without the lease. */
  fireDue(partition: number, leaseToken: string, now: number, limit: number): Promise<number>;
  /**
   * fireDue() for several partitions, in as few store calls as the store allows (one round trip):
   * per partition, in order, the timers moved or -1 without its lease. Optional (see timerPump.ts).
   */
  fireDueMany?(leases: readonly HeldPartition[], now: number, limit: number): Promise<number[]>;
  /** The partition's pending timers whose slot starts with `slotPrefix` (e.g. one user's), by due time. */
  pending(partition: number, slotPrefix: string): Promise<PendingTimer[]>;
}

/** A partition and the token of the lease held on it. */
export interface HeldPartition {
  readonly partition: number;
  readonly leaseToken: string;
}

export interface PendingTimer {
  readonly slot: string;
  readonly dueAt: number;
  readonly record: InboxRecord;
}

/** Where a broadcast is in its life (see src/broadcasts/broadcastControl.ts for the moves between them). */
export const BROADCAST_STATUSES = ['scheduled', 'running', 'paused', 'cancelled', 'done'] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/** A broadcast as the store keeps it: the definition as created (immutable) and where it stands. */
export interface BroadcastRecord {
  readonly id: string;
  /** The definition's JSON (what broadcastSchema parsed it from), never changed after creation. */
  readonly definition: string;
  readonly status: BroadcastStatus;
  readonly createdAt: number;
  /** Who created it (admin token name, or "cli"). */
  readonly createdBy: string;
  /** When the fan-out may start (ms). */
  readonly startAt: number;
  /** Last status change (ms). */
  readonly updatedAt: number;
  /** Marketing Messages: the campaign's message_id from Meta, once created. */
  readonly campaign?: string;
}

/**
 * The fan-out's place in one partition: an audience cursor to go on from; walked, waiting for the
 * lanes to apply what it appended (the partition's inbox is seen empty once); or done.
 */
export type FanoutPosition =
  { readonly type: 'at'; readonly cursor: string } | { readonly type: 'draining' } | { readonly type: 'done' };

/**
 * Broadcasts: their records (global keys, one per broadcast, each command on one key) and the
 * fan-out's progress per partition. The statistics live in per-partition counters written by
 * StateStore.commit and ackOutbox (`stats`/`stat`), read here.
 */
export interface BroadcastStore {
  /** Creates the record; 'exists' (writing nothing) when a broadcast with that id was ever created. */
  create(record: BroadcastRecord): Promise<'created' | 'exists'>;
  get(id: string): Promise<BroadcastRecord | null>;
  /** Every broadcast, newest first (at most `limit`). */
  list(limit: number): Promise<BroadcastRecord[]>;
  /**
   * Moves the status to `to` if it is one of `from` (atomic compare-and-set), at `at`; false when
   * it was not (or there is no such broadcast).
   */
  setStatus(id: string, from: readonly BroadcastStatus[], to: BroadcastStatus, at: number): Promise<boolean>;
  /** Records the Marketing Messages campaign (message_id) if none is recorded; returns the one kept. */
  setCampaign(id: string, campaign: string): Promise<string>;
  /** Ids of broadcasts that are scheduled, running or paused (the pumps look at these). */
  active(): Promise<string[]>;
  /** The fan-out's place in a partition; { type: 'at', cursor: '0' } before it started there. */
  fanout(id: string, partition: number): Promise<FanoutPosition>;
  setFanout(id: string, partition: number, position: FanoutPosition): Promise<void>;
  /** How many partitions the fan-out finished. */
  fanoutDone(id: string): Promise<number>;
  /** The broadcast's counters summed over the given partitions (field → count; absent = 0). */
  stats(id: string, partitions: readonly number[]): Promise<Record<string, number>>;
}

/**
 * An outgoing webhook as queued: where it goes and the exact JSON text that is signed and sent.
 * `id` is the dedupe id the caller gives (the effect's id): the receiver sees it as the delivery id
 * on every try, and a second enqueue with it is a duplicate.
 */
export interface WebhookJob {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly body: string;
  readonly createdAt: number;
}

/** A job claimed for one try: `tries` counts this one (a try that died with its process counts too). */
export interface ClaimedWebhook {
  readonly job: WebhookJob;
  readonly tries: number;
  /** The claim's token: only its holder can complete, retry or drop the job. */
  readonly claim: string;
}

export type WebhookEnqueueOutcome = 'enqueued' | 'duplicate' | 'full';

/**
 * Durable outgoing webhooks, shared by every process. A job is due at a time; claiming it makes it
 * due again after the lease, so a pump that dies mid-try leaves it for another pump, and two pumps
 * never hold one job at once. Settling (complete, retry, drop) needs the claim's token: a pump
 * whose lease ran out cannot undo what the next holder did.
 */
export interface WebhookQueue {
  /**
   * Queues the job, due now, unless a job with its id was enqueued within `dedupeMs` (a replayed
   * outbox entry: 'duplicate') or `maxQueued` jobs are waiting ('full'); atomic.
   */
  enqueue(
    job: WebhookJob,
    now: number,
    options: { readonly dedupeMs: number; readonly maxQueued: number },
  ): Promise<WebhookEnqueueOutcome>;
  /** Up to `limit` jobs due at `now`, oldest due first, each claimed under `claim` until now + leaseMs. */
  claimDue(now: number, limit: number, leaseMs: number, claim: string): Promise<ClaimedWebhook[]>;
  /** Removes the job (delivered). False when `claim` no longer holds it. */
  complete(id: string, claim: string): Promise<boolean>;
  /** Makes the job due again at `dueAt`. False when `claim` no longer holds it. */
  retry(id: string, claim: string, dueAt: number): Promise<boolean>;
  /** Removes the job without delivering it (tries used up, or an answer retrying cannot change). */
  drop(id: string, claim: string): Promise<boolean>;
  /** Jobs queued (waiting or claimed). */
  size(): Promise<number>;
}

/** How the bot answered a text it did not understand: its fallback, or "did you mean" (the engine's `unmatched` effect). */
export type UnmatchedOutcome = 'fallback' | 'suggested';

/** One text the bot did not understand, as counted over some days: how often, how it answered, and when last. */
export interface UnmatchedCount {
  readonly text: string;
  readonly count: number;
  readonly fallback: number;
  readonly suggested: number;
  /** The last UTC day (YYYY-MM-DD) it was counted. */
  readonly lastDay: string;
}

/** Days of counts kept (each UTC day's counts expire after it); the longest window `top` looks at. */
export const UNMATCHED_RETENTION_DAYS = 90;
/** Texts (per outcome) kept per day: a new one beyond this replaces the day's least counted. */
export const UNMATCHED_TEXTS_PER_DAY = 1000;
/** Characters of a text kept (the engine already cuts and normalises it). */
export const UNMATCHED_TEXT_MAX = 200;

/**
 * What people wrote that the bot did not understand, counted per normalised text and UTC day,
 * for the marketers (`talkshop insights unmatched`, GET /admin/insights/unmatched). It names no
 * one: no PSID or user key is taken, so forgetting a user has nothing to remove here.
 */
export interface UnmatchedStore {
  /** Counts `text` once on the UTC day of `at`. */
  count(text: string, outcome: UnmatchedOutcome, at: number): Promise<void>;
  /** The `limit` most counted texts over the `days` UTC days ending with the day of `now` (ties: by text). */
  top(now: number, days: number, limit: number): Promise<UnmatchedCount[]>;
}

export interface Store {
  readonly kind: 'redis' | 'memory';
  /** Both adapters have it; optional so test doubles of the other ports need not. */
  readonly broadcasts?: BroadcastStore;
  /** Both adapters have it; optional so test doubles of the other ports need not. */
  readonly audience?: AudienceStore;
  /** Both adapters have it; optional so test doubles of the other ports need not. */
  readonly webhooks?: WebhookQueue;
  /** Both adapters have it; optional so test doubles of the other ports need not. */
  readonly unmatched?: UnmatchedStore;
  readonly inbox: InboxStore;
  readonly leases: LeaseStore;
  readonly states: StateStore;
  readonly rateLimits: RateLimitStore;
  readonly timers: TimerStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whose a store (a Redis key prefix) is: `created` when this claim wrote the owner marker; refused
 * when another Page's marker is there (`owner`), or, for a claim that requires its own store,
 * when the prefix holds keys but no marker (`owner: null`: data written before markers existed,
 * or by something else entirely).
 */
export type OwnerClaim = { readonly ok: true; readonly created: boolean } | { readonly ok: false; readonly owner: string | null };

export interface ClaimOptions {
  /** Refuse a prefix that holds keys but no owner marker (the demo: it never adopts data it did not write). */
  readonly requireEmpty: boolean;
}

/**
 * A store as its adapter opens it: the composition root claims it for its Page before anything
 * else touches it (keys.ts `owner`), so a process never reads or writes data another Page or the
 * demo wrote. Kept apart from Store, which the runtime (and test wrappers) use.
 */
export interface OwnedStore extends Store {
  /** Sets the owner marker to `pageId` if there is none (and the options allow); idempotent for the owner. */
  claimOwner(pageId: string, options: ClaimOptions): Promise<OwnerClaim>;
}
