import { z } from 'zod';
import type { Effect, InboxItem, ThreadMark } from '../store/ports';
import { EVENT_KINDS, type EventKind } from '../store/messengerEvent';

export interface HandlerResult<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
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
   * return the item with facts attached (e.g. the user's profile). Must not throw.
   */
  prepare?(state: S, item: InboxItem, now: number): Promise<InboxItem>;
  /** Optional: the user's entry in the admin's thread list for this state, or null (not listed). */
  threadMark?(state: S): ThreadMark | null;
}

/** Kinds that are a customer's own action (they refresh the messaging window); not receipts. */
const USER_ACTIONS: ReadonlySet<EventKind> = new Set(['message', 'quick_reply', 'postback', 'referral', 'optin', 'reaction']);

const counterStateSchema = z.object({
  inbound: z.number().int().nonnegative(),
  byKind: z.partialRecord(z.enum(EVENT_KINDS), z.number().int().nonnegative()),
  standby: z.number().int().nonnegative(),
  lastInteractionAt: z.number().nullable(),
  lastItemId: z.string().nullable(),
});
export type CounterState = z.infer<typeof counterStateSchema>;

const EMPTY: CounterState = { inbound: 0, byKind: {}, standby: 0, lastInteractionAt: null, lastItemId: null };

/**
 * A minimal handler: counts what arrived per user and remembers the last customer action. It sends
 * nothing. The service runs the flow engine (flowHandler); tests and the webhook bench use this
 * one as a baseline, and the engine's state migration reads what it stored.
 */
export const counterHandler: Handler<CounterState> = {
  decode: (data) => (data === null ? EMPTY : counterStateSchema.parse(data)),
  handle(state, item) {
    const { kind, channel, timestamp } = item.record.event;
    return {
      state: {
        inbound: state.inbound + 1,
        byKind: { ...state.byKind, [kind]: (state.byKind[kind] ?? 0) + 1 },
        standby: state.standby + (channel === 'standby' ? 1 : 0),
        lastInteractionAt: USER_ACTIONS.has(kind) ? Math.max(state.lastInteractionAt ?? 0, timestamp) : state.lastInteractionAt,
        lastItemId: item.id,
      },
      effects: [],
    };
  },
};
