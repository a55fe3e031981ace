import { broadcastProgress, broadcastRates, broadcastView, groupBroadcastStats } from '../../src/broadcasts/broadcastCounts';
import type { BroadcastReport } from '../../src/broadcasts/broadcastControl';
import type { BroadcastRecord } from '../../src/store/ports';

const record = (status: BroadcastRecord['status'] = 'running'): BroadcastRecord => ({
  id: 'summer-sale',
  definition: JSON.stringify({ id: 'summer-sale', name: 'Summer sale', kind: 'promotional' }),
  status,
  createdAt: 1,
  createdBy: 'mark',
  startAt: 2,
  updatedAt: 3,
});
const report = (stats: Record<string, number>, walked = 4, status: BroadcastRecord['status'] = 'running'): BroadcastReport => ({
  record: record(status),
  stats,
  partitionsWalked: walked,
  partitions: 4,
});

describe('broadcast counters', () => {
  it('groups the flat counters: skips by reason, failures by class, absent ones 0', () => {
    expect(
      groupBroadcastStats({
        targeted: 10,
        queued: 7,
        sent: 5,
        'skipped:outside_window': 3,
        'skipped:cancelled': 1,
        'failed:rate_limit': 1,
        delivered: 4,
        read: 2,
        'skipped:no_consent': 0,
      }),
    ).toEqual({
      targeted: 10,
      queued: 7,
      sent: 5,
      skipped: { outside_window: 3, cancelled: 1, no_consent: 0 },
      failed: { rate_limit: 1 },
      delivered: 4,
      read: 2,
      clicked: 0,
      replied: 0,
      repeat: 0,
    });
  });

  it('in flight = targeted − sent − skips − failures, wherever each skip happened; finished needs every partition walked', () => {
    // 10 targeted: 3 skipped in the lane, 7 queued; of those 4 sent, 1 skipped by the sender, 1 failed, 1 still queued.
    const stats = { targeted: 10, queued: 7, sent: 4, 'skipped:outside_window': 3, 'skipped:no_consent': 1, 'failed:other': 1 };
    const counts = groupBroadcastStats(stats);
    expect(broadcastProgress(report(stats), counts)).toEqual({
      partitionsWalked: 4,
      partitions: 4,
      inFlight: 1,
      finished: false,
    });
    const all = { ...stats, sent: 5 };
    expect(broadcastProgress(report(all), groupBroadcastStats(all)).finished).toBe(true);
    expect(broadcastProgress(report(all, 3), groupBroadcastStats(all)).finished).toBe(false);
    expect(broadcastProgress(report(stats, 1, 'cancelled'), counts).finished).toBe(true);
  });

  it('rates are over sent, null before anything was sent', () => {
    expect(broadcastRates(groupBroadcastStats({ sent: 4, delivered: 3, read: 2, clicked: 1 }))).toEqual({
      delivered: 0.75,
      read: 0.5,
      clicked: 0.25,
      replied: 0,
    });
    expect(broadcastRates(groupBroadcastStats({}))).toEqual({ delivered: null, read: null, clicked: null, replied: null });
  });

  it('the view names the broadcast from its definition, and survives one it cannot read', () => {
    expect(broadcastView(report({ sent: 1 }))).toMatchObject({
      id: 'summer-sale',
      name: 'Summer sale',
      kind: 'promotional',
      createdBy: 'mark',
    });
    expect(broadcastView({ ...report({}), record: { ...record(), definition: '{not json' } })).toMatchObject({
      name: null,
      kind: null,
    });
  });
});
