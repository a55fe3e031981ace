import { audienceCardOf } from '../audience/audienceCard';
import { isConsentOnly, isReceipt, isThreadEvent } from '../engine/engineEvent';
import { toEngineEvent } from './toEngineEvent';
import type { FlowSet } from '../engine/flowSet';
import { transition } from '../engine/transition';
import { decodeUserState, type UserState } from '../engine/userState';
import type { UserProfile } from '../platform/graphRequestSchemas';
import { DAY_MS, HOUR_MS } from '../platform/messagingRules';
import type { InboxItem, ThreadMark } from '../store/ports';
import type { Handler } from './handler';
import type { BroadcastBook } from './broadcastBook';
import { broadcastStatField } from '../engine/broadcastSend';
import { encodeSendFacts } from './sendFacts';

export interface FlowHandlerOptions {
  /** Meta's user profile for a PSID (first name, locale, timezone). Absent: no lookups. */
  readonly fetchProfile?: (psid: string) => Promise<UserProfile>;
  /** A profile is fetched again after this long (default 7 days), a failed lookup after 1 hour. */
  readonly profileTtlMs?: number;
  readonly profileTimeoutMs?: number;
  /** Our Meta app id: echoes carrying it are our own sends; any other echo is a person writing. */
  readonly appId?: string;
  /** How long personal data is kept; each one unset = for good. */
  readonly retention?: RetentionOptions;
  /** Where broadcast definitions and statuses come from; absent: every broadcast item is skipped as unknown. */
  readonly broadcasts?: BroadcastBook;
}

/** The broadcast an inbox item delivers (kind `broadcast`, raw { broadcast, test? }), or undefined for any other item. */
function broadcastOf(item: InboxItem): { readonly id: string; readonly test: boolean } | undefined {
  const { kind, raw } = item.record.event;
  if (kind !== 'broadcast' || typeof raw.broadcast !== 'string') return undefined;
  return { id: raw.broadcast, test: raw.test === true };
}

/** A broadcast reached the user's lane: the engine decides, with the definition the prepare step looked up. */
function broadcastStep(
  flows: FlowSet,
  book: BroadcastBook | undefined,
  state: UserState,
  due: { id: string; test: boolean },
  now: number,
) {
  // Nobody to send to: the user's state is gone (erased, or expired by retention) or never was.
  if (state.inbound === 0 && state.position === null) {
    const stats = due.test ? [] : [broadcastStatField(due.id, 'targeted'), broadcastStatField(due.id, 'skipped:deleted')];
    return { state, effects: [], keep: false, stats };
  }
  const info = book?.peek(due.id);
  return transition(
    flows,
    state,
    { type: 'broadcast', id: due.id, send: info?.send ?? null, cancelled: info?.status === 'cancelled', test: due.test },
    now,
  );
}

export interface RetentionOptions {
  /** Transcript lines older than this many days are removed whenever the user's state is written. */
  readonly transcriptDays?: number | undefined;
  /** A user with no event of their own for this many days is forgotten entirely (see expireAt). */
  readonly inactiveUserDays?: number | undefined;
}

/** The state without transcript lines from before `cutoff` (the same object when none is that old). */
export function trimTranscript(state: UserState, cutoff: number): UserState {
  if (state.transcript.every((line) => line.at >= cutoff)) return state;
  return { ...state, transcript: state.transcript.filter((line) => line.at >= cutoff) };
}

/**
 * When a user may be forgotten: `days` after their own last action (now, if they never acted), so
 * every message of theirs pushes it back. Never while the thread is not with the bot: the partition's
 * thread list (what the agents see) would keep an entry for a user who no longer exists, and a
 * person may still be answering; the first write after the thread returns to the bot sets it.
 */
export function expiryOf(state: UserState, now: number, days: number): number | undefined {
  if (state.thread !== 'bot') return undefined;
  return (state.lastInboundAt ?? now) + days * DAY_MS;
}

/** A first name rarely changes: look the profile up again after a week (after an hour if it failed). */
const PROFILE_TTL_MS = 7 * DAY_MS;

function profileDue(state: UserState, now: number, ttlMs: number): boolean {
  const p = state.profile;
  return p === null || now - p.at > (p.ok ? ttlMs : HOUR_MS);
}

/**
 * Listed while someone other than the bot owns the conversation: since when, and since when the
 * customer has been waiting for a person (their first message of this episode, from the moment the
 * bot let go, that no person has answered since).
 */
export function threadMarkOf(state: UserState): ThreadMark | null {
  if (state.thread === 'bot') return null;
  const log = [...state.threadLog].reverse();
  const since = log.find((t) => t.to === state.thread)?.at ?? state.lastInboundAt ?? 0;
  const episode = log.find((t) => t.from === 'bot')?.at ?? since;
  const answered = [...state.transcript].reverse().find((t) => t.from === 'agent')?.at ?? -Infinity;
  const waiting = state.transcript.find((t) => t.from === 'user' && t.at >= episode && t.at > answered);
  return { state: state.thread, since, lastInboundAt: state.lastInboundAt, waitingSince: waiting?.at ?? null };
}

/** The worker's handler: the pure engine over the loaded flows, plus the profile lookup it needs. */
export function flowHandler(flows: FlowSet, options: FlowHandlerOptions = {}): Handler<UserState> {
  const ttl = options.profileTtlMs ?? PROFILE_TTL_MS;
  const fetchProfile = options.fetchProfile;
  const { transcriptDays, inactiveUserDays } = options.retention ?? {};
  return {
    decode: decodeUserState,
    handle: (state, item, now) => {
      const due = broadcastOf(item);
      if (due) return broadcastStep(flows, options.broadcasts, state, due, now);
      const event = toEngineEvent(item.record.event, options.appId);
      // A receipt (or an event the engine ignores) for someone who never wrote is nothing to keep.
      if ((event.type === 'none' || isReceipt(event)) && state.inbound === 0 && state.position === null)
        return { state, effects: [], keep: false };
      const result = transition(flows, state, event, now, item.profile);
      // The state every applied item writes comes from here: old lines go on the user's next write.
      if (transcriptDays === undefined) return result;
      return { ...result, state: trimTranscript(result.state, now - transcriptDays * DAY_MS) };
    },
    threadMark: threadMarkOf,
    audienceCard: audienceCardOf,
    sendFacts: encodeSendFacts,
    ...(inactiveUserDays === undefined
      ? {}
      : { expireAt: (state: UserState, now: number) => expiryOf(state, now, inactiveUserDays) }),
    async prepare(state, item, now): Promise<InboxItem> {
      const due = broadcastOf(item);
      // A store failure here propagates: the batch is retried, the broadcast never skipped for it.
      if (due) {
        await options.broadcasts?.lookup(due.id);
        return item;
      }
      const event = item.record.event;
      // The profile's age first: it is fresh for nearly every event, and then the event need not be read here.
      if (!fetchProfile || !profileDue(state, now, ttl)) return item;
      const engineEvent = toEngineEvent(event, options.appId);
      if (engineEvent.type === 'none' || isThreadEvent(engineEvent) || isReceipt(engineEvent) || isConsentOnly(engineEvent))
        return item;
      // Fetched before the engine runs so the very first reply can greet by name; a failure or a
      // slow answer only means the declared default is used (and another try in an hour).
      const lookup = fetchProfile(event.userId).then(
        (p) => ({ ok: true as const, ...p }),
        () => ({ ok: false as const }),
      );
      const timeout = new Promise<{ ok: false }>((resolve) =>
        setTimeout(() => resolve({ ok: false }), options.profileTimeoutMs ?? 2000).unref(),
      );
      return { ...item, profile: await Promise.race([lookup, timeout]) };
    },
  };
}
