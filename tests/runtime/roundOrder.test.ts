import { liveFirst } from '../../src/runtime/roundOrder';
import { outboxEntry } from '../support/outboxEntry';

const entry = outboxEntry;

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
