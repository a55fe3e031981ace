import { toEngineEvent } from '../engine/engineEvent';
import type { FlowSet } from '../engine/flowSet';
import { transition } from '../engine/transition';
import { decodeUserState, type UserState } from '../engine/userState';
import type { Handler } from './handler';

/** The worker's handler once flows exist: the pure engine over the loaded flow set. */
export function flowHandler(flows: FlowSet): Handler<UserState> {
  return {
    decode: decodeUserState,
    handle: (state, item, now) => transition(flows, state, toEngineEvent(item.record.event), now),
  };
}
