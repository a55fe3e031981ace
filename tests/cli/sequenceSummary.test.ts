import { formatDelay, sequenceReport, stepHeadline } from '../../src/broadcasts/sequenceReport';
import { sequenceSchema } from '../../src/engine/sequenceSchema';
import { formatSequenceList, formatSequenceStatus } from '../../src/cli/sequenceSummary';

const def = sequenceSchema.parse({
  id: 'running-tips',
  name: 'Running tips',
  topic: 'tips',
  steps: [
    { id: 'tip-now', delay: '0m', kind: 'promotional', messages: [{ text: 'a' }] },
    { id: 'tip-later', delay: '4h', window: { hours: ['08:00', '21:00'] }, kind: 'promotional', messages: [{ text: 'b' }] },
    { id: 'weekly-1', delay: '1w', from: 'subscription', kind: 'marketing_message', messages: [{ text: 'c' }] },
  ],
});
// The third step has no counters yet: the store returns nothing for it.
const report = sequenceReport(def, [
  {
    targeted: 1200,
    queued: 1190,
    sent: 1180,
    'skipped:no_consent': 10,
    'failed:rate_limit': 5,
    delivered: 1100,
    read: 900,
    clicked: 120,
    replied: 30,
  },
  {
    targeted: 1150,
    queued: 900,
    sent: 880,
    'skipped:outside_window': 250,
    'skipped:human_owns_thread': 3,
    delivered: 870,
    read: 600,
    clicked: 50,
    replied: 4,
  },
]);

describe('sequence report and CLI output', () => {
  it('groups each step like a broadcast: skips by reason, failures by class, rates over sent, in flight', () => {
    const [now, later, weekly] = report.steps;
    expect(now).toMatchObject({
      id: 'tip-now',
      delay: '0m',
      delayMs: 0,
      from: 'previous',
      sends: { messages: 1 },
      counts: { targeted: 1200, sent: 1180, skipped: { no_consent: 10 }, failed: { rate_limit: 5 } },
      inFlight: 5,
    });
    expect(now?.rates.read).toBeCloseTo(900 / 1180);
    expect(later).toMatchObject({ window: { hours: ['08:00', '21:00'] }, inFlight: 17 });
    expect(later?.counts.skipped).toEqual({ outside_window: 250, human_owns_thread: 3 });
    expect(weekly).toMatchObject({ delay: '1w', from: 'subscription', counts: { targeted: 0, sent: 0 }, inFlight: 0 });
    expect(weekly?.rates).toEqual({ delivered: null, read: null, clicked: null, replied: null });
    expect(stepHeadline(later!)).toEqual({
      id: 'tip-later',
      kind: 'promotional',
      targeted: 1150,
      sent: 880,
      skipped: 253,
      failed: 0,
      delivered: 870,
      read: 600,
      clicked: 50,
      replied: 4,
    });
  });

  it('writes a delay back in the largest unit that divides it', () => {
    expect([0, 90 * 60_000, 3_600_000, 36 * 3_600_000, 2 * 86_400_000, 604_800_000].map(formatDelay)).toEqual([
      '0m',
      '90m',
      '1h',
      '36h',
      '2d',
      '1w',
    ]);
  });

  it('status: a row per step, a column per skip reason seen at any step, then failures and outcomes', () => {
    expect(formatSequenceStatus(report).split('\n')).toEqual([
      'running-tips "Running tips" (topic tips, 3 steps)',
      '  step       kind               delay                   targeted   sent  skipped:human_owns_thread  skipped:no_consent  skipped:outside_window  failed  delivered  read  clicked  replied',
      '  tip-now    promotional        0m                         1,200  1,180                          0                  10                       0       5      1,100   900      120       30',
      '  tip-later  promotional        4h +window                 1,150    880                          3                   0                     250       0        870   600       50        4',
      '  weekly-1   marketing_message  1w (from subscription)         0      0                          0                   0                       0       0          0     0        0        0',
      '  22 step send(s) in flight (queued, no outcome yet)',
      '',
    ]);
    const idle = sequenceReport(def, []);
    expect(formatSequenceStatus(idle)).not.toContain('skipped:');
    expect(formatSequenceStatus(idle)).not.toContain('in flight');
  });

  it("list: a line per sequence with its steps' counts added up", () => {
    expect(formatSequenceList([report])).toBe(
      [
        'ID            TOPIC  STEPS   SENT  SKIPPED  FAILED  DELIVERED   READ  CLICKED  REPLIED',
        'running-tips  tips       3  2,060      263       5      1,970  1,500      170       34',
        '',
      ].join('\n'),
    );
    expect(formatSequenceList([])).toBe('no sequences (FLOWS_DIR/sequences/ holds none)\n');
  });
});
