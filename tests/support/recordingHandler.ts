import type { Handler } from '../../src/runtime/handler';
import { counterHandler, type CounterState } from './counterHandler';
import type { InboxItem } from '../../src/store/ports';

/** The built-in counter handler, plus a log of every item it was given, in apply order. */
export function recordingHandler(): { handler: Handler<CounterState>; seen: InboxItem[] } {
  const seen: InboxItem[] = [];
  return {
    seen,
    handler: {
      decode: counterHandler.decode,
      handle(state, item, now) {
        seen.push(item);
        return counterHandler.handle(state, item, now);
      },
    },
  };
}
