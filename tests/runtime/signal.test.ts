import { Signal } from '../../src/runtime/signal';

it('wakes every waiter on notify, and keeps a notify nobody was waiting for for the next wait', async () => {
  const signal = new Signal();
  const woken: string[] = [];
  const a = signal.wait(60_000).then(() => woken.push('a'));
  const b = signal.wait(60_000).then(() => woken.push('b'));
  signal.notify();
  await Promise.all([a, b]);
  expect(woken.sort()).toEqual(['a', 'b']);
  // Committed while the task was busy: its next wait returns at once, and only that one.
  signal.notify();
  const started = Date.now();
  await signal.wait(60_000);
  expect(Date.now() - started).toBeLessThan(30_000);
  let late = false;
  const c = signal.wait(20).then(() => (late = true));
  await c;
  expect(late).toBe(true); // this one waited out its time: nothing was kept for it
});
