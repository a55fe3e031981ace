import { decodeUserState, type UserState } from '../engine/userState';
import type { AudienceStore, StateStore, StoredUser } from '../store/ports';
import { audienceCardOf, cardJson } from './audienceCard';

export interface ReindexOptions {
  /** The retention expiry the runtime gives a state (flowHandler's expireAt), so the cards match. */
  readonly expireAt?: (state: UserState, now: number) => number | undefined;
  readonly now: () => number;
  /** Users read per store call, and written at once. */
  readonly chunk?: number;
  /** Told after each chunk: users seen so far. */
  readonly onProgress?: (seen: number) => void;
}

export interface ReindexOutcome {
  /** Cards written. */
  readonly written: number;
  /** Users whose state moved on while we read it, three times running: their own commits keep their card. */
  readonly moved: number;
  /** States nobody can read (another release's, a hand edit): left without a card. */
  readonly unreadable: number;
}

type One = 'written' | 'moved' | 'unreadable';

async function reindexOne(states: StateStore, audience: AudienceStore, user: StoredUser, options: ReindexOptions): Promise<One> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const stored = await states.load(user.partition, user.userKey);
    if (stored.version === 0) return 'moved'; // forgotten meanwhile: no card, rightly
    let state: UserState;
    try {
      state = decodeUserState(stored.data);
    } catch {
      return 'unreadable';
    }
    const json = cardJson(audienceCardOf(state), options.expireAt?.(state, options.now()));
    if (await audience.setCardIf(user.partition, user.userKey, stored.version, json)) return 'written';
  }
  return 'moved';
}

/**
 * Backfill of the audience index for states committed before it existed (or by an older release):
 * every stored state's card, written only if that state is still the current one, so it can run
 * beside live workers without a lease and never put an older card over a newer one. (Workers also
 * heal a user's card on their next event after a restart; this reaches users who stay silent.)
 */
export async function reindexAudience(
  states: StateStore,
  audience: AudienceStore,
  options: ReindexOptions,
): Promise<ReindexOutcome> {
  const counts: Record<One, number> = { written: 0, moved: 0, unreadable: 0 };
  // One chunk of keys at a time. SCAN may return a key twice: writing its card twice is harmless
  // (and counted twice), which is cheaper than remembering every key seen.
  let seen = 0;
  let cursor: string | null = '0';
  while (cursor !== null) {
    const page = await audience.users(cursor, options.chunk ?? 500);
    const results = await Promise.all(page.users.map((u) => reindexOne(states, audience, u, options)));
    for (const r of results) counts[r] += 1;
    seen += page.users.length;
    options.onProgress?.(seen);
    cursor = page.next;
  }
  return counts;
}
