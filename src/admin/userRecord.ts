import { createHash } from 'node:crypto';
import { decodeUserState, type ReceivedBroadcast, type UserState } from '../engine/userState';
import { internalEvent } from '../store/messengerEvent';
import { partitionOf, userKeyOf } from '../store/partitionOf';
import { FORGET_COMMAND, SET_ASIDE_KEPT, type InboxRecord, type SetAsideEntry, type Store } from '../store/ports';
import { decodeInboxRecord } from '../store/records';

/** Where a user lives, and how the store names them. */
export interface UserAddress {
  readonly pageId: string;
  readonly partitions: number;
  readonly psid: string;
}

const locate = (a: UserAddress) => ({
  partition: partitionOf(a.pageId, a.psid, a.partitions),
  userKey: userKeyOf(a.pageId, a.psid),
});

/**
 * An admin command's dedupe key: a digest, never the PSID, because the dedupe key is itself a
 * store key (kept DEDUPE_TTL_SECONDS) and an erased user must not be named by any key.
 */
export const adminDedupeKey = (psid: string, at: number, raw: Readonly<Record<string, unknown>>): string =>
  `admin:${createHash('sha256')
    .update(`${psid}\n${at}\n${JSON.stringify(raw)}`)
    .digest('base64url')}`;

/** Appends an admin command to the user's inbox lane, so it is ordered with their conversation. */
export async function enqueueCommand(store: Store, a: UserAddress, at: number, raw: Record<string, unknown>): Promise<void> {
  const dedupeKey = adminDedupeKey(a.psid, at, raw);
  const event = internalEvent('admin_command', a.pageId, a.psid, at, dedupeKey, raw);
  await store.inbox.append([{ partition: locate(a).partition, dedupeKey, record: { source: 'admin', event } }]);
}

/** Queues the erase of a user (applied by the worker in their lane: runtime/forgetUser.ts). */
export const enqueueForget = (store: Store, a: UserAddress, at: number): Promise<void> =>
  enqueueCommand(store, a, at, { command: FORGET_COMMAND });

/** Whether an inbox record (as stored, raw text) is this user's; an unreadable one if it names them at all. */
function names(raw: string, psid: string): boolean {
  try {
    const decoded = decodeInboxRecord(raw, 'set-aside item');
    return decoded.type === 'record' ? decoded.record.event.userId === psid : raw.includes(psid);
  } catch {
    return raw.includes(psid);
  }
}

/** A user's full record: everything Talkshop's store holds that names them. */
export interface UserExport {
  readonly psid: string;
  readonly exportedAt: number;
  /** The inbox partition (and so the store slot) the user lives in. */
  readonly partition: number;
  /** The state version (0: no state) and the whole state: fields, tags, consent and its ledger, transcript, thread log… */
  readonly version: number;
  readonly state: unknown;
  /** True when the stored state could not be decoded and `state` is the raw stored JSON. */
  readonly stateUndecodable?: true;
  /** What the sender learned from Meta (e.g. when the user became unreachable). */
  readonly delivery: { readonly unreachableAt?: number };
  /** The user's entry in the agents' thread list, while a person owns (or is taking) the conversation. */
  readonly thread: unknown;
  /** Messages and actions produced for the user but not yet delivered. */
  readonly outbox: ReadonlyArray<{ readonly id: string; readonly itemId: string; readonly effect: unknown }>;
  /** Timers armed for the user (e.g. the handover inactivity timeout). */
  readonly timers: ReadonlyArray<{ readonly slot: string; readonly dueAt: number; readonly record: InboxRecord }>;
  /** Inbox items of theirs that could not be applied and were set aside. */
  readonly setAside: readonly SetAsideEntry[];
  /**
   * Broadcasts the user's lane met (the last BROADCAST_HISTORY): each queued for them or skipped,
   * and what they did after it (delivered, read, clicked, replied). Also inside `state`; here so an
   * export answers "which broadcasts did I get" directly.
   */
  readonly broadcastsReceived: readonly ReceivedBroadcast[];
  /** When the user was erased before (a tombstone), or null. */
  readonly forgottenAt: number | null;
}

/** Reads a user's full record from the store (their partition only: one user never spans two). */
export async function exportUser(store: Store, a: UserAddress, now: number): Promise<UserExport> {
  const { partition, userKey } = locate(a);
  const [stored, delivery, threads, outbox, timers, setAside, forgottenAt] = await Promise.all([
    store.states.load(partition, userKey),
    store.states.deliveryFacts(partition, userKey),
    store.states.threads(partition),
    store.states.userOutbox(partition, userKey),
    store.timers.pending(partition, `${userKey}|`),
    store.inbox.setAsideItems(partition, SET_ASIDE_KEPT),
    store.states.forgottenAt(partition, userKey),
  ]);
  let decoded: UserState | null = null;
  let undecodable = false;
  if (stored.version > 0) {
    try {
      decoded = decodeUserState(stored.data);
    } catch {
      undecodable = true;
    }
  }
  const state: unknown = undecodable ? stored.data : decoded;
  return {
    psid: a.psid,
    exportedAt: now,
    partition,
    version: stored.version,
    state,
    ...(undecodable ? { stateUndecodable: true as const } : {}),
    delivery,
    thread: threads.find((t) => t.userKey === userKey)?.mark ?? null,
    outbox: outbox.map((e) => ({ id: e.id, itemId: e.itemId, effect: e.effect.body })),
    timers,
    setAside: setAside.filter((e) => names(e.raw, a.psid)),
    broadcastsReceived: decoded?.broadcasts ?? [],
    forgottenAt,
  };
}
