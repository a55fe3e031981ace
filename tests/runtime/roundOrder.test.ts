import { liveFirst } from '../../src/runtime/roundOrder';
import type { OutboxEntry } from '../../src/store/ports';

/** A round's order: users with a live entry first, then at most one bulk user per lane. */
const entry = (id: string, user: string, bulk: boolean): OutboxEntry => ({
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

it('puts users with a live entry first and keeps the bulk part to one user per lane, each queue in its own order', () => {
  const queues = [
    [entry('1', 'a', true)],
    [entry('2', 'b', true), entry('3', 'b', false)], // b's broadcast came first: b is a bulk user this round
    [entry('4', 'c', true)],
    [entry('5', 'd', false)],
    [entry('6', 'e', true)],
    [entry('7', 'f', false), entry('8', 'f', true)],
  ];
  expect(liveFirst(queues, 2).map((q) => q.map((e) => e.id))).toEqual([['5'], ['7', '8'], ['1'], ['2', '3']]);
  expect(liveFirst(queues, 4).map((q) => q[0]?.userKey)).toEqual(['d', 'f', 'a', 'b', 'c', 'e']);
});
