/**
 * The soak's invariant checker (bench/soakChecks.ts) fails when it should: a clean record passes,
 * and each injected violation (a lost event, one applied twice, a send while a person owned the
 * thread, a duplicate send, replies out of order) is counted as exactly that, and only that. The
 * soak itself (npm run soak) runs minutes with processes and faults, too long and too heavy for
 * npm test on a loaded 2-core machine.
 */
import { checkSoak, marksIn, type SentRecord, type UserRecord } from '../../bench/soakChecks';

const msg = (at: number, hash: string, text = ''): SentRecord => ({ at, kind: 'message', hash, marks: marksIn(text), text });
const pass = (at: number): SentRecord => ({ at, kind: 'thread_control', hash: 'pass', marks: [] });

/** A customer who typed size 41, then 43, was handed to a person (the pass at 450) until Done at 900, and got every answer once, in order. */
const clean = (): UserRecord => ({
  psid: 'sk-1',
  acked: 6,
  uncertain: 0,
  stored: 6,
  humanIntervals: [{ from: 450, to: 900 }],
  marks: ['EU 41', 'EU 43'],
  sends: [
    msg(100, 'welcome'),
    msg(200, 'size41', "Here's what we have in EU 41, cheapest first:"),
    msg(210, 'carousel'),
    msg(300, 'size43', "Here's what we have in EU 43, cheapest first:"),
    msg(400, 'handover'),
    pass(450),
    msg(950, 'welcome-back'),
  ],
});

const zero = { lost: 0, appliedTwice: 0, duplicateSends: 0, sendsWhileHuman: 0, outOfOrder: 0 };

it('passes a clean run', () => {
  const v = checkSoak([clean(), { ...clean(), psid: 'sk-2', marks: [], sends: [] }]);
  expect(v).toMatchObject({ users: 2, expected: 12, applied: 12, ...zero, examples: [] });
});

it('counts an acknowledged event the state does not count as lost, and a user with no state at all', () => {
  const v = checkSoak([
    { ...clean(), stored: 5 },
    { ...clean(), psid: 'sk-2', stored: undefined },
  ]);
  expect(v).toMatchObject({ ...zero, lost: 1 + 6 });
  expect(v.examples[0]).toContain('6 actions acknowledged, 5 applied');
});

it('counts an event applied twice, but not one posted without a 200 that was stored anyway', () => {
  expect(checkSoak([{ ...clean(), stored: 7 }])).toMatchObject({ ...zero, appliedTwice: 1 });
  expect(checkSoak([{ ...clean(), stored: 7, uncertain: 1 }])).toMatchObject(zero);
  expect(checkSoak([{ ...clean(), stored: 8, uncertain: 1 }])).toMatchObject({ ...zero, appliedTwice: 1 });
});

it('counts a bot message while a person owned the thread, including one after a pass never handed back', () => {
  const u = clean();
  const during = { ...u, sends: [...u.sends.slice(0, 6), msg(600, 'broadcast'), ...u.sends.slice(6)] };
  expect(checkSoak([during])).toMatchObject({ ...zero, sendsWhileHuman: 1 });
  // The interval is [pass, Done posted): a message at the pass's moment counts, one at Done's does not.
  const edges = { ...u, sends: [...u.sends.slice(0, 6), msg(450, 'a'), msg(900, 'b')] };
  expect(checkSoak([edges])).toMatchObject({ ...zero, sendsWhileHuman: 1 });
  // The handover message in the pass's millisecond but before it is not one; after it, it is.
  const sameMs = { ...u, sends: [...u.sends.slice(0, 4), msg(450, 'handover'), pass(450), ...u.sends.slice(6)] };
  expect(checkSoak([{ ...sameMs, humanIntervals: [{ from: 450, to: 900 }] }])).toMatchObject(zero);
  const afterInSameMs = { ...u, sends: [...u.sends.slice(0, 4), pass(450), msg(450, 'handover')] };
  expect(checkSoak([{ ...afterInSameMs, humanIntervals: [{ from: 450, to: 900 }] }])).toMatchObject({
    ...zero,
    sendsWhileHuman: 1,
  });
  const open = { ...u, humanIntervals: [{ from: 450, to: Number.POSITIVE_INFINITY }] };
  expect(checkSoak([open])).toMatchObject({ ...zero, sendsWhileHuman: 1 }); // the welcome-back at 950
});

it('counts the same message (or pass) twice in a row as a duplicate, and the same text apart as none', () => {
  const u = clean();
  const twice = {
    ...u,
    sends: [...u.sends.slice(0, 2), msg(205, 'size41', "Here's what we have in EU 41"), ...u.sends.slice(2)],
  };
  expect(checkSoak([twice])).toMatchObject({ ...zero, duplicateSends: 1 });
  const passTwice = { ...u, sends: [...u.sends.slice(0, 6), pass(460), ...u.sends.slice(6)] };
  expect(checkSoak([passTwice])).toMatchObject({ ...zero, duplicateSends: 1 });
  const apart = { ...u, sends: [...u.sends, msg(1000, 'welcome')] };
  expect(checkSoak([apart])).toMatchObject(zero);
});

it('counts replies out of the order the customer wrote, but not a later repeat of an earlier answer', () => {
  const u = clean();
  const swapped = { ...u, sends: [u.sends[0]!, u.sends[3]!, u.sends[1]!, u.sends[2]!, ...u.sends.slice(4)] };
  const v = checkSoak([swapped]);
  expect(v).toMatchObject({ ...zero, outOfOrder: 1 });
  expect(v.examples[0]).toContain('"EU 41" came after the answer to "EU 43"');
  const repeated = {
    ...u,
    sends: [...u.sends, msg(1000, 'again43', 'Sorry, nothing in EU 43 right now.'), msg(1100, 'again41', 'in EU 41')],
  };
  expect(checkSoak([repeated])).toMatchObject(zero);
});

it('finds the marks it follows in the bot texts', () => {
  expect(marksIn("Here's what we have in EU 41, cheapest first:")).toEqual(['EU 41']);
  expect(marksIn('Let me check order 104233…')).toEqual(['order 104233']);
  expect(marksIn('Order numbers have 6 digits, like 104233.')).toEqual([]);
  expect(marksIn('EU 410 or order 12345')).toEqual([]);
  expect(marksIn('Most of our shoes come in EU 36–47. Want to try another size?')).toEqual([]);
  expect(marksIn('Sorry, nothing in EU 48 right now.')).toEqual(['EU 48']);
});
