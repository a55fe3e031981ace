import type { AudienceCard } from '../audience/audienceCard';
import type { EngineEffect } from '../engine/effects';
import type { InboxItem, ThreadMark } from '../store/ports';

export interface HandlerResult<S> {
  readonly state: S;
  readonly effects: readonly EngineEffect[];
  /**
   * false: the event leaves nothing worth keeping about a user the store holds no state for (a
   * late delivery receipt for an erased customer, say); the item is applied without writing a
   * state, so no key names them. Ignored for a user who has a state.
   */
  readonly keep?: boolean;
  /** Broadcast counters (broadcastStatField) this item adds, committed with it (also when keep is false). */
  readonly stats?: readonly string[];
}

/**
 * What the worker runs for each inbox item: a pure step from (state, item, now) to the next
 * state and the effects to commit with it. `decode` turns stored JSON (or null for a new user)
 * into the handler's state and throws on data it cannot read.
 */
export interface Handler<S> {
  decode(data: unknown): S;
  handle(state: S, item: InboxItem, now: number): HandlerResult<S>;
  /**
   * Optional I/O the runtime performs before `handle` (so the handler itself stays pure): it may
   * return the item with facts attached (e.g. the user's profile). Throws only when the store fails
   * (the batch is then retried); a failed lookup elsewhere is a fact (e.g. `profile: { ok: false }`).
   */
  prepare?(state: S, item: InboxItem, now: number): Promise<InboxItem>;
  /** Optional: the user's entry in the admin's thread list for this state, or null (not listed). */
  threadMark?(state: S): ThreadMark | null;
  /**
   * Optional: the user's card in the partition's audience index (what audience filters read), or
   * null to keep them out of it. Written with the state whenever it changes (src/audience/).
   */
  audienceCard?(state: S): AudienceCard | null;
  /**
   * Optional: what the sender checks before each send, encoded from the state (runtime/sendFacts.ts),
   * stored with every write of it. Absent: the sender reads the whole state.
   */
  sendFacts?(state: S): string;
  /**
   * Optional (inactive-user retention): when the store may forget the user whose state this is
   * (ms since the epoch), or undefined to keep them. Asked on every commit of the user's state.
   */
  expireAt?(state: S, now: number): number | undefined;
}
