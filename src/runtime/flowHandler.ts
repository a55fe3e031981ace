import { isThreadEvent } from '../engine/engineEvent';
import { toEngineEvent } from './toEngineEvent';
import type { FlowSet } from '../engine/flowSet';
import { transition } from '../engine/transition';
import { decodeUserState, type UserState } from '../engine/userState';
import type { UserProfile } from '../platform/graphRequestSchemas';
import { DAY_MS, HOUR_MS } from '../platform/messagingRules';
import type { InboxItem, ThreadMark } from '../store/ports';
import type { Handler } from './handler';

export interface FlowHandlerOptions {
  /** Meta's user profile for a PSID (first name, locale, timezone). Absent: no lookups. */
  readonly fetchProfile?: (psid: string) => Promise<UserProfile>;
  /** A profile is fetched again after this long (default 7 days), a failed lookup after 1 hour. */
  readonly profileTtlMs?: number;
  readonly profileTimeoutMs?: number;
  /** Our Meta app id: echoes carrying it are our own sends; any other echo is a person writing. */
  readonly appId?: string;
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
  return {
    decode: decodeUserState,
    handle: (state, item, now) => transition(flows, state, toEngineEvent(item.record.event, options.appId), now, item.profile),
    threadMark: threadMarkOf,
    async prepare(state, item, now): Promise<InboxItem> {
      const event = item.record.event;
      const engineEvent = toEngineEvent(event, options.appId);
      if (!fetchProfile || engineEvent.type === 'none' || isThreadEvent(engineEvent) || !profileDue(state, now, ttl)) return item;
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
