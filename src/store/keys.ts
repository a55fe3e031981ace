import { createHash } from 'node:crypto';

/**
 * Every Redis key Talkshop uses is named here and nowhere else. Keys of one inbox partition share
 * the hash tag `{p<N>}` so the Lua scripts that touch them together run on one Redis Cluster slot.
 * User state lives in its partition's slot for the same reason: the commit script writes the
 * state, the outbox and the cursor in one step. (So INBOX_PARTITIONS is fixed for a deployment.)
 *
 * Rate-limit buckets are not partition-scoped: a Page's bucket is shared by all its users. That is
 * fine on Redis Cluster because the rate-limit script touches exactly one key per call (no hash tag
 * is needed; each bucket lives on whatever slot its name hashes to).
 */
export interface Keys {
  inbox(partition: number): string;
  /** Hash {id, n}: the item last attempted in the partition and how many attempts it had. */
  inboxAttempt(partition: number): string;
  /** Stream of the partition's items set aside (poisoned or unreadable), capped. */
  inboxSetAside(partition: number): string;
  cursor(partition: number): string;
  lease(partition: number): string;
  leaseEpoch(partition: number): string;
  /** The token of the partition's last lease not released (its holder crashed, froze or lost it); none after a release. */
  leaseOpen(partition: number): string;
  dedupe(partition: number, dedupeKey: string): string;
  state(partition: number, userKey: string): string;
  /** A SCAN pattern for every user's state key, all partitions (the audience backfill walks it). */
  statePattern(): string;
  /** The partition and user key of a state key, or undefined for any other key. */
  parseState(key: string): { partition: number; userKey: string } | undefined;
  outbox(partition: number): string;
  outboxCursor(partition: number): string;
  /** Sorted set of timer slots by due time; the records fired into the inbox are in timerRecords. */
  timers(partition: number): string;
  timerRecords(partition: number): string;
  /** Hash userKey → thread mark JSON: the partition's users whose conversation is not with the bot. */
  threads(partition: number): string;
  delivery(partition: number, userKey: string): string;
  /** Hash userKey → the user's audience entry (filters over it stream per partition; written with the state). */
  audience(partition: number): string;
  /** Hash tombstoneIdOf(userKey) → when the user was erased (ms): what is kept of an erased user. */
  tombstones(partition: number): string;
  /**
   * Hash `<broadcastId>|<counter>` → count: the partition's broadcast statistics, written by the
   * commit and the outbox ack in the same step as what they count (so in the partition's slot).
   * Names no user, so forgetting a user leaves it alone.
   */
  broadcastStats(partition: number): string;
  /**
   * Hash of one broadcast's record (d definition JSON, s status, c created at, b created by,
   * t start at, u updated at, m campaign). The broadcast registry keys share the hash tag
   * `{broadcasts}` so the scripts that touch several of them run on one Redis Cluster slot.
   */
  broadcast(id: string): string;
  /** Sorted set broadcast id → created at (ms): every broadcast ever created, for the list. */
  broadcastIndex(): string;
  /** Set of the ids of broadcasts that are scheduled, running or paused (what the pumps look at). */
  broadcastActive(): string;
  /** Hash partition → the fan-out's audience cursor there, or 'done'. */
  broadcastFanout(id: string): string;
  /**
   * Outgoing webhooks (src/requests/webhookPump.ts), under the hash tag `{webhooks}` so their
   * scripts touch one Redis Cluster slot: a sorted set id → due time (ms; a claimed job's lease end),
   * a hash id → job JSON, a hash id → `<tries>:<claim token>`, and a sorted set id → until when
   * (ms) a second enqueue of the id is a duplicate.
   */
  webhookDue(): string;
  webhookJobs(): string;
  webhookClaims(): string;
  webhookSeen(): string;
  workers(): string;
  /**
   * Sorted set `<f|s>:<normalised text>` → count: one UTC day (YYYY-MM-DD) of texts the bot did not
   * understand (f: fallback, s: "did you mean"); expires after UNMATCHED_RETENTION_DAYS. Under the
   * hash tag `{insights}`, so one read covers many days on one Redis Cluster slot. Names no user.
   */
  unmatched(day: string): string;
  /** One token bucket (a hash); `bucket` comes from pageRateBucket. */
  rateBucket(bucket: string): string;
  /**
   * The Page id this prefix belongs to (a string), set by the first process that uses the prefix.
   * A service refuses a prefix another Page (or the demo) owns; the demo also refuses one that
   * holds keys without this marker. One key, outside every partition's slot.
   */
  owner(): string;
}

/**
 * An erased user's tombstone field: sha256 of their user key ("<pageId>:<psid>"), hex, so the
 * tombstone keeps them from being messaged again without naming them.
 */
export const tombstoneIdOf = (userKey: string): string => createHash('sha256').update(userKey).digest('hex');

export function keysFor(prefix: string): Keys {
  const slot = (p: number) => `${prefix}:{p${p}}`;
  return {
    inbox: (p) => `${slot(p)}:inbox`,
    inboxAttempt: (p) => `${slot(p)}:inbox-attempt`,
    inboxSetAside: (p) => `${slot(p)}:inbox-set-aside`,
    cursor: (p) => `${slot(p)}:cursor`,
    lease: (p) => `${slot(p)}:lease`,
    leaseEpoch: (p) => `${slot(p)}:lease-epoch`,
    leaseOpen: (p) => `${slot(p)}:lease-open`,
    dedupe: (p, key) => `${slot(p)}:dedupe:${key}`,
    state: (p, userKey) => `${slot(p)}:state:${userKey}`,
    // SCAN's glob: a prefix with * ? [ or \ in it is escaped, so it matches only itself.
    statePattern: () => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:{p*}:state:*`,
    parseState: (key) => {
      const head = `${prefix}:{p`;
      if (!key.startsWith(head)) return undefined;
      const m = /^(\d+)\}:state:(.+)$/.exec(key.slice(head.length));
      return m ? { partition: Number(m[1]), userKey: m[2] as string } : undefined;
    },
    outbox: (p) => `${slot(p)}:outbox`,
    outboxCursor: (p) => `${slot(p)}:outbox-cursor`,
    timers: (p) => `${slot(p)}:timers`,
    timerRecords: (p) => `${slot(p)}:timer-records`,
    threads: (p) => `${slot(p)}:threads`,
    delivery: (p, userKey) => `${slot(p)}:delivery:${userKey}`,
    audience: (p) => `${slot(p)}:audience`,
    tombstones: (p) => `${slot(p)}:tombstones`,
    broadcastStats: (p) => `${slot(p)}:broadcast-stats`,
    broadcast: (id) => `${prefix}:{broadcasts}:broadcast:${id}`,
    broadcastIndex: () => `${prefix}:{broadcasts}:index`,
    broadcastActive: () => `${prefix}:{broadcasts}:active`,
    broadcastFanout: (id) => `${prefix}:{broadcasts}:fanout:${id}`,
    webhookDue: () => `${prefix}:{webhooks}:due`,
    webhookJobs: () => `${prefix}:{webhooks}:jobs`,
    webhookClaims: () => `${prefix}:{webhooks}:claims`,
    webhookSeen: () => `${prefix}:{webhooks}:seen`,
    workers: () => `${prefix}:workers`,
    unmatched: (day) => `${prefix}:{insights}:unmatched:${day}`,
    rateBucket: (bucket) => `${prefix}:rate:${bucket}`,
    owner: () => `${prefix}:owner`,
  };
}

/** Send API lanes with separate per-Page limits: text/links/templates (300/s), audio/video (10/s). */
export type RateLane = 'text' | 'media';

/** The rate-limit bucket of one Page's lane: every process sending for the Page shares it. */
export const pageRateBucket = (pageId: string, lane: RateLane): string => `page:${pageId}:${lane}`;
