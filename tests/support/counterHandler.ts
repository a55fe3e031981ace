import { z } from 'zod';
import type { Handler } from '../../src/runtime/handler';
import { EVENT_KINDS, type EventKind } from '../../src/store/messengerEvent';

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
 * nothing. The service runs the flow engine (flowHandler); the runtime's tests and the webhook
 * bench use this one as a baseline (userState.ts still reads the state an early version of it stored).
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
