import { livePass, type LiveSteps, type RoundShare } from '../../src/runtime/livePass';
import { OutboxWindow } from '../../src/runtime/outboxWindow';
import type { Step } from '../../src/runtime/senderOptions';
import type { OutboxEntry } from '../../src/store/ports';
import { outboxEntry } from '../support/outboxEntry';

const entry = outboxEntry;

function rig(outbox: OutboxEntry[], options: { fail?: string; lose?: string } = {}) {
  const delivered: string[] = [];
  const reads: string[] = [];
  const finished: string[] = [];
  const steps: LiveSteps = {
    superseded: () => new Set(),
    isBulk: (e) => typeof e.effect.body === 'object' && e.effect.body !== null && 'broadcast' in e.effect.body,
    attempt: async (e): Promise<Step> => {
      if (e.id === options.fail) return { type: 'retry', why: 'retryable' };
      delivered.push(e.id);
      return { type: 'done', outcome: 'sent' };
    },
    finish: async (e) => {
      finished.push(e.id);
      return e.id !== options.lose;
    },
    flush: async () => true,
    read: async (after: string, count: number) => {
      reads.push(after);
      return outbox.filter((e) => e.id > after).slice(0, count);
    },
  };
  return { steps, delivered, finished, reads };
}

const share = (lastRead: string, claimed: string[] = []): RoundShare => ({
  partition: 0,
  window: new OutboxWindow('0-0'),
  claimed: new Set(claimed),
  lastRead,
});

it('delivers, in order, the new live entries of users with nothing else pending; leaves the rest for the round', async () => {
  const outbox = [
    entry('1-0', 'round-user', true), // read by the round
    entry('2-0', 'live'),
    entry('3-0', 'round-user'), // its user has an earlier entry in the round: must wait
    entry('4-0', 'bulk-first', true),
    entry('5-0', 'bulk-first'), // behind that user's broadcast send: waits
    entry('6-0', 'live'),
  ];
  const r = rig(outbox);
  const s = share('1-0', ['round-user']);
  s.window.track(['1-0']); // the round's read
  expect(await livePass(s, r.steps, 2)).toBe('done');
  expect(r.reads).toEqual(['1-0']);
  expect(r.delivered).toEqual(['2-0', '6-0']);
  expect(s.lastRead).toBe('6-0');
  // The live user's read entries are all delivered: free for the next pass; the others stay claimed.
  expect([...s.claimed].sort()).toEqual(['bulk-first', 'round-user']);
  // The window knows every entry read, and only the delivered ones as done: the cursor cannot pass 1-0.
  expect(s.window.finish('2-0')).toBeUndefined();
});

it('stops a user at a failed attempt (the round retries it), and reports a lost lease', async () => {
  const r = rig([entry('2-0', 'a'), entry('3-0', 'a'), entry('4-0', 'b')], { fail: '2-0' });
  const s = share('1-0');
  expect(await livePass(s, r.steps, 1)).toBe('done');
  expect(r.delivered).toEqual(['4-0']);
  expect(s.claimed.has('a')).toBe(true);
  const lost = rig([entry('2-0', 'c')], { lose: '2-0' });
  expect(await livePass(share('1-0'), lost.steps, 1)).toBe('lease_lost');
});

it('does nothing when nothing new was committed', async () => {
  const r = rig([entry('1-0', 'a')]);
  const s = share('1-0');
  expect(await livePass(s, r.steps, 2)).toBe('done');
  expect(r.delivered).toEqual([]);
  expect(s.lastRead).toBe('1-0');
});
