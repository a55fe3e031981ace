import { furthest, OutboxAcks } from '../../src/runtime/outboxAcks';
import type { OutboxCursorMove, OutboxDone } from '../../src/store/ports';

/** A flush the test answers by hand, recording what each call carried. */
function rig() {
  const calls: Array<{ done: readonly OutboxDone[]; cursor: OutboxCursorMove; answer: (ok: boolean | Error) => void }> = [];
  const acks = new OutboxAcks(
    (done, cursor) =>
      new Promise<boolean>((resolve, reject) =>
        calls.push({ done, cursor, answer: (ok) => (ok instanceof Error ? reject(ok) : resolve(ok)) }),
      ),
  );
  return { acks, calls };
}

it('entries finished while an ack is out are recorded together by the next call, the cursor at the furthest', async () => {
  const { acks, calls } = rig();
  const first = acks.ack([{ id: '1-0' }], '1-0');
  const second = acks.ack([{ id: '3-0', stat: 'b|sent' }], undefined);
  const third = acks.ack([{ id: '2-0' }], '3-0');
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ done: [{ id: '1-0' }], cursor: { to: '1-0' } });
  calls[0]?.answer(true);
  expect(await first).toBe(true);
  expect(calls).toHaveLength(2);
  expect(calls[1]).toMatchObject({ done: [{ id: '3-0', stat: 'b|sent' }, { id: '2-0' }], cursor: { to: '3-0' } });
  calls[1]?.answer(false); // the lease is gone: every entry of the batch hears it
  expect(await Promise.all([second, third])).toEqual([false, false]);
});

it('leaves the cursor where it is when no entry of the batch let it pass, and keeps the furthest on retries', async () => {
  const { acks, calls } = rig();
  const a = acks.ack([{ id: '5-0' }], undefined);
  expect(calls[0]?.cursor).toBe('stay');
  const b = acks.ack([{ id: '6-0' }], '6-0');
  const c = acks.ack([{ id: '4-0' }], '4-0'); // an ack retried late carries an older cursor
  calls[0]?.answer(new Error('store timeout'));
  await expect(a).rejects.toThrow('store timeout');
  expect(calls[1]?.cursor).toEqual({ to: '6-0' });
  calls[1]?.answer(true);
  expect(await Promise.all([b, c])).toEqual([true, true]);
});

it('records several entries in one ack, under one promise', async () => {
  const { acks, calls } = rig();
  const batch = [{ id: '7-0' }, { id: '8-0' }, { id: '9-0', stat: 'b|sent' }];
  expect(await acks.ack([], '6-0')).toBe(true); // nothing to record: no store call
  expect(calls).toHaveLength(0);
  const recorded = acks.ack(batch, '9-0');
  expect(calls[0]).toMatchObject({ done: batch, cursor: { to: '9-0' } });
  calls[0]?.answer(true);
  expect(await recorded).toBe(true);
  expect(furthest('7-5', '8-0')).toBe('8-0');
  expect(furthest('8-0', undefined)).toBe('8-0');
  expect(furthest(undefined, '7-0')).toBe('7-0');
});
