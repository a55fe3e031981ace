import { StoreCorruptError } from '../../src/errors';
import { keysFor } from '../../src/store/keys';
import type { BroadcastRecord, BroadcastStore } from '../../src/store/ports';
import { redisFixture } from '../support/redisFixture';

/** Redis only: what the broadcast keys hold on disk, and records a person or another release left unreadable. */
describe('redis broadcasts', () => {
  const { keys, raw, store } = redisFixture('broadcasts');
  const broadcasts = () => store().broadcasts as BroadcastStore;
  const record: BroadcastRecord = {
    id: 'spring',
    definition: '{"id":"spring"}',
    status: 'scheduled',
    createdAt: 1_000,
    createdBy: 'ops',
    startAt: 5_000,
    updatedAt: 1_000,
  };

  it('names the registry keys under one hash tag, and the statistics in their partition’s', () => {
    const k = keysFor('pfx');
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
    expect([k.broadcast('x'), k.broadcastIndex(), k.broadcastActive(), k.broadcastFanout('x')].map(tag)).toEqual(
      Array(4).fill('broadcasts'),
    );
    expect(k.broadcastStats(3)).toBe('pfx:{p3}:broadcast-stats');
    expect(tag(k.broadcastStats(3))).toBe(tag(k.outbox(3)));
  });

  it('keeps a record as a flat hash, indexed by creation time, active while scheduled', async () => {
    await broadcasts().create(record);
    expect(await raw.hGetAll(keys.broadcast('spring'))).toEqual({
      d: '{"id":"spring"}',
      s: 'scheduled',
      c: '1000',
      b: 'ops',
      t: '5000',
      u: '1000',
    });
    expect(await raw.zScore(keys.broadcastIndex(), 'spring')).toBe(1_000);
    expect(await raw.sIsMember(keys.broadcastActive(), 'spring')).toBeTruthy();
    await broadcasts().setFanout('spring', 7, { type: 'done' });
    expect(await raw.hGetAll(keys.broadcastFanout('spring'))).toEqual({ '7': 'done' });
  });

  it('refuses to read a record that is not one (StoreCorruptError), in get and in list', async () => {
    await broadcasts().create({ ...record, id: 'bad-status', createdAt: 2_000 });
    await raw.hSet(keys.broadcast('bad-status'), 's', 'exploded');
    await expect(broadcasts().get('bad-status')).rejects.toThrow(StoreCorruptError);
    await expect(broadcasts().list(10)).rejects.toThrow(StoreCorruptError);
    await raw.hSet(keys.broadcast('no-definition'), { s: 'running', c: '1', b: 'x', t: '1', u: 'soon' });
    await expect(broadcasts().get('no-definition')).rejects.toThrow(/d: .*u: expected whole milliseconds/s);
  });

  it('reads statistics from a hash larger than one HSCAN page, summing each counter once', async () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 2_500; i += 1) fields[`other-${i}|sent`] = '1';
    fields['big|sent'] = '40';
    fields['big|failed'] = '2';
    fields['big-x|sent'] = '7';
    await raw.hSet(keys.broadcastStats(0), fields);
    await raw.hSet(keys.broadcastStats(1), { 'big|sent': '2', 'bi|sent': '9' });
    expect(await broadcasts().stats('big', [0, 1, 2])).toEqual({ sent: 42, failed: 2 });
    expect(await broadcasts().stats('big', [1, 1])).toEqual({ sent: 2 }); // a partition named twice counts once
    expect(await broadcasts().stats('other-7', [0])).toEqual({ sent: 1 });
  });
});
