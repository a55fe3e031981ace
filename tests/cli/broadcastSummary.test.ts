import { broadcastView } from '../../src/broadcasts/broadcastCounts';
import type { BroadcastRecord } from '../../src/store/ports';
import { formatFunnel, formatList, formatProgressLine, formatSummary, sendRate } from '../../src/cli/broadcastSummary';

const view = (stats: Record<string, number>, o: { walked?: number; status?: BroadcastRecord['status'] } = {}) =>
  broadcastView({
    record: {
      id: 'summer-sale',
      definition: JSON.stringify({ name: 'Summer sale', kind: 'promotional' }),
      status: o.status ?? 'done',
      createdAt: Date.UTC(2026, 5, 1, 9, 30),
      createdBy: 'mark',
      startAt: Date.UTC(2026, 5, 1, 18),
      updatedAt: 0,
    },
    stats,
    partitionsWalked: o.walked ?? 64,
    partitions: 64,
  });

describe('broadcast CLI output', () => {
  it('the summary has a row per skip reason and failure class, and outcomes as a share of sent', () => {
    const text = formatSummary(
      view({
        targeted: 1200,
        queued: 1000,
        sent: 950,
        'skipped:outside_window': 200,
        'skipped:cancelled': 40,
        'failed:rate_limit': 10,
        delivered: 900,
        read: 475,
        clicked: 95,
        replied: 19,
      }),
    );
    expect(text).toBe(
      [
        'summer-sale "Summer sale": done',
        '  targeted                 1,200',
        '  sent                       950 (79.2%)',
        '  skipped: cancelled          40',
        '  skipped: outside_window    200',
        '  failed: rate_limit          10',
        '  delivered                  900 (94.7%)',
        '  read                       475 (50.0%)',
        '  clicked                     95 (10.0%)',
        '  replied                     19 (2.0%)',
        '',
      ].join('\n'),
    );
  });

  it('a summary before the end says where the fan-out is and what is still to send; nothing sent shows no shares', () => {
    const text = formatSummary(view({ targeted: 5, queued: 5, sent: 2 }, { walked: 10, status: 'running' }));
    expect(text.split('\n')[0]).toBe('summer-sale "Summer sale": running, 10/64 partitions walked');
    expect(text).toContain('still to send  3');
    expect(formatSummary(view({}, { walked: 0, status: 'scheduled' }))).toMatch(
      /^summer-sale "Summer sale": scheduled, starts 2026-06-01T18:00:00.000Z\n[^%]*$/,
    );
  });

  it('the progress line: sent, skipped, failed, the rate and the phase', () => {
    expect(
      formatProgressLine(
        view(
          { targeted: 30, sent: 20, 'skipped:capped': 2, 'skipped:no_consent': 1, 'failed:other': 1 },
          { walked: 3, status: 'running' },
        ),
        12.345,
      ),
    ).toBe('running | sent 20 | skipped 3 | failed 1 | 12.3/s | 3/64 partitions walked | 6 in flight');
  });

  it('the list: aligned columns, newest first as given', () => {
    const lines = formatList([view({ targeted: 1200, sent: 950 }), view({}, { status: 'cancelled' })]).split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+KIND\s+CREATED\s+TARGETED\s+SENT\s+DELIVERED\s+READ\s+CLICKED\s+REPLIED$/);
    expect(lines[1]).toMatch(/^summer-sale\s+done\s+promotional\s+2026-06-01 09:30\s+1,200\s+950\s+0\s+0\s+0\s+0$/);
    // Numbers right-aligned under their heading.
    expect((lines[0]?.indexOf(' SENT') ?? 0) + 5).toBe((lines[1]?.indexOf(' 950 ') ?? 0) + 4);
    expect(lines[2]).toContain('cancelled');
    expect(formatList([])).toBe('no broadcasts yet\n');
  });

  it('the send rate is over the last window of polls', () => {
    expect(sendRate([])).toBe(0);
    expect(sendRate([{ at: 0, done: 0 }])).toBe(0);
    expect(
      sendRate([
        { at: 0, done: 0 },
        { at: 2_000, done: 50 },
      ]),
    ).toBe(25);
    // The poll 30 s ago falls out of the 10 s window.
    expect(
      sendRate([
        { at: 0, done: 0 },
        { at: 25_000, done: 100 },
        { at: 30_000, done: 200 },
      ]),
    ).toBe(20);
  });
});

describe('formatFunnel', () => {
  it('prints a row per node and a column per day, then the A/B variants', () => {
    const text = formatFunnel({
      flow: 'shop',
      days: ['2026-11-23', '2026-11-24'],
      nodes: [
        { node: 'welcome', perDay: { '2026-11-23': 1200, '2026-11-24': 7 }, total: 1207, perVariant: {} },
        { node: 'upsell_a', perDay: { '2026-11-24': 3 }, total: 3, perVariant: { 'size_ok=upsell_a': 3 } },
      ],
    });
    expect(text).toBe(
      [
        'shop: users reaching each node, 2026-11-23 to 2026-11-24',
        '  node      11-23  11-24  total',
        '  welcome   1,200      7  1,207',
        '  upsell_a      0      3      3',
        'per A/B variant:',
        '  upsell_a [size_ok=upsell_a]: 3',
        '',
      ].join('\n'),
    );
  });
});
