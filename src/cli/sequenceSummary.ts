import { failedTotal, skippedTotal } from '../broadcasts/broadcastCounts';
import type { SequenceReport } from '../broadcasts/sequenceReport';

/*
 * What `talkshop sequence list|status` prints, as pure functions of the reports (tested on their
 * own): a line per sequence, and a table with a row per step.
 */

const n = (x: number): string => x.toLocaleString('en');

/** Columns: the first `leftAligned` padded on the right (names), the rest on the left (numbers). */
function columns(rows: ReadonlyArray<readonly string[]>, leftAligned: number): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i < leftAligned ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const sumOf = (r: SequenceReport, pick: (s: SequenceReport['steps'][number]) => number): number =>
  r.steps.reduce((total, s) => total + pick(s), 0);

/** `sequence list`: one line per loaded sequence, its steps' counts added up. */
export function formatSequenceList(reports: readonly SequenceReport[]): string {
  if (reports.length === 0) return 'no sequences (FLOWS_DIR/sequences/ holds none)\n';
  const rows = [
    ['ID', 'TOPIC', 'STEPS', 'SENT', 'SKIPPED', 'FAILED', 'DELIVERED', 'READ', 'CLICKED', 'REPLIED'],
    ...reports.map((r) => [
      r.id,
      r.topic,
      n(r.steps.length),
      ...[
        sumOf(r, (s) => s.counts.sent),
        sumOf(r, (s) => skippedTotal(s.counts)),
        sumOf(r, (s) => failedTotal(s.counts)),
        sumOf(r, (s) => s.counts.delivered),
        sumOf(r, (s) => s.counts.read),
        sumOf(r, (s) => s.counts.clicked),
        sumOf(r, (s) => s.counts.replied),
      ].map(n),
    ]),
  ];
  return `${columns(rows, 2)}\n`;
}

/**
 * `sequence status <id>`: a row per step, in order, with when it is due, targeted, sent, one column
 * per skip reason that occurred at any step (so the reasons line up), failures, and what users did
 * after: delivered, read, clicked, replied.
 */
export function formatSequenceStatus(r: SequenceReport): string {
  const reasons = [...new Set(r.steps.flatMap((s) => Object.keys(s.counts.skipped)))].sort();
  const head = [
    'step',
    'kind',
    'delay',
    'targeted',
    'sent',
    ...reasons.map((reason) => `skipped:${reason}`),
    'failed',
    'delivered',
    'read',
    'clicked',
    'replied',
  ];
  const rows = r.steps.map((s) => {
    const c = s.counts;
    const delay = `${s.delay}${s.from === 'subscription' ? ' (from subscription)' : ''}${s.window ? ' +window' : ''}`;
    return [
      s.id,
      s.kind,
      delay,
      n(c.targeted),
      n(c.sent),
      ...reasons.map((reason) => n(c.skipped[reason] ?? 0)),
      n(failedTotal(c)),
      n(c.delivered),
      n(c.read),
      n(c.clicked),
      n(c.replied),
    ];
  });
  const inFlight = sumOf(r, (s) => s.inFlight);
  const table = columns([head, ...rows], 3)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
  const pending = inFlight > 0 ? `\n  ${n(inFlight)} step send(s) in flight (queued, no outcome yet)` : '';
  return `${r.id} "${r.name}" (topic ${r.topic}, ${r.steps.length} step${r.steps.length === 1 ? '' : 's'})\n${table}${pending}\n`;
}
