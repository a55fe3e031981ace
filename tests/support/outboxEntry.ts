import type { OutboxEntry } from '../../src/store/ports';

/** An outbox entry as the store returns it: a live reply, or a broadcast's send (bulk). */
export const outboxEntry = (id: string, user: string, bulk = false): OutboxEntry => ({
  id,
  userKey: user,
  itemId: `i-${id}`,
  effect: {
    v: 1,
    body: {
      type: 'send',
      message: { text: id },
      messaging: bulk ? 'UPDATE' : 'RESPONSE',
      promotional: false,
      ...(bulk ? { broadcast: { id: 'b', kind: 'promotional', topic: 'offers' } } : {}),
    },
  },
});
