import { failedTotal, skippedTotal, type BroadcastView } from '../broadcasts/broadcastCounts';
import type { FunnelReport } from '../broadcasts/funnelReport';

/*
 * What `talkshop broadcast` prints, as pure functions of the report (tested on their own): the
 * final summary table, the list, the progress line, and the send rate from the polls.
 */

const n = (x: number): string => x.toLocaleString('en');
const pct = (part: number, whole: number): string => (whole === 0 ? '' : ` (${((100 * part) / whole).toFixed(1)}%)`);

/** Rows of two columns, the numbers right-aligned under each other. */
function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const left = Math.max(...rows.map(([l]) => l.length));
  const right = Math.max(...rows.map(([, r]) => r.split(' ', 1)[0]?.length ?? 0));
  return rows
    .map(([l, r]) => {
      const [num = '', ...rest] = r.split(' ');
      return `  ${l.padEnd(left)}  ${num.padStart(right)}${rest.length ? ` ${rest.join(' ')}` : ''}`.trimEnd();
    })
    .join('\n');
}

/**
 * The summary once a broadcast finished (or now, for `status`): who it was for, what happened to
 * each, and what they did after. Every skip reason and failure class that occurred has its row;
 * delivered, read, clicked and replied are also given as a share of sent.
 */
export function formatSummary(v: BroadcastView): string {
  const c = v.counts;
  const rows: Array<readonly [string, string]> = [
    ['targeted', n(c.targeted)],
    ['sent', n(c.sent) + pct(c.sent, c.targeted)],
  ];
  for (const [reason, k] of Object.entries(c.skipped).sort()) rows.push([`skipped: ${reason}`, n(k)]);
  for (const [cls, k] of Object.entries(c.failed).sort()) rows.push([`failed: ${cls}`, n(k)]);
  if (v.progress.inFlight > 0) rows.push(['still to send', n(v.progress.inFlight)]);
  rows.push(
    ['delivered', n(c.delivered) + pct(c.delivered, c.sent)],
    ['read', n(c.read) + pct(c.read, c.sent)],
    ['clicked', n(c.clicked) + pct(c.clicked, c.sent)],
    ['replied', n(c.replied) + pct(c.replied, c.sent)],
  );
  const name = v.name === null ? '' : ` "${v.name}"`;
  const walked = v.progress.partitionsWalked < v.progress.partitions ? `, ${phase(v)}` : '';
  return `${v.id}${name}: ${v.status}${walked}\n${table(rows)}\n`;
}

/** Where the sending stands, in words. */
function phase(v: BroadcastView): string {
  if (v.status === 'scheduled') return `starts ${new Date(v.startAt).toISOString()}`;
  return `${v.progress.partitionsWalked}/${v.progress.partitions} partitions walked`;
}

/** One line while it is being sent (the bar's text, or a line every few seconds without a terminal). */
export function formatProgressLine(v: BroadcastView, perSecond: number): string {
  const c = v.counts;
  return [
    `${v.status}`,
    `sent ${n(c.sent)}`,
    `skipped ${n(skippedTotal(c))}`,
    `failed ${n(failedTotal(c))}`,
    `${perSecond.toFixed(1)}/s`,
    phase(v),
    `${n(v.progress.inFlight)} in flight`,
  ].join(' | ');
}

/** `broadcast list`: one line per broadcast, newest first. */
export function formatList(views: readonly BroadcastView[]): string {
  if (views.length === 0) return 'no broadcasts yet\n';
  const rows = [
    ['ID', 'STATUS', 'KIND', 'CREATED', 'TARGETED', 'SENT', 'DELIVERED', 'READ', 'CLICKED', 'REPLIED'],
    ...views.map((v) => [
      v.id,
      v.status,
      v.kind ?? '?',
      new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' '),
      ...[v.counts.targeted, v.counts.sent, v.counts.delivered, v.counts.read, v.counts.clicked, v.counts.replied].map(n),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows.map((r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n') +
    '\n'
  );
}

/** A poll: when, and how many sends had an outcome by then. */
export interface Sample {
  readonly at: number;
  readonly done: number;
}

/** Sends per second over the samples of the last `windowMs` (0 with fewer than two). */
export function sendRate(samples: readonly Sample[], windowMs = 10_000): number {
  const last = samples.at(-1);
  if (!last) return 0;
  const first = samples.find((s) => s.at >= last.at - windowMs) ?? last;
  return last.at > first.at ? ((last.done - first.done) * 1000) / (last.at - first.at) : 0;
}

/**
 * A flow's funnel as a table: one row per node, one column per day (MM-DD) and the total; then
 * each node's users per A/B variant, when there are any.
 */
export function formatFunnel(r: FunnelReport): string {
  const head = ['node', ...r.days.map((d) => d.slice(5)), 'total'];
  const rows = r.nodes.map((node) => [node.node, ...r.days.map((d) => n(node.perDay[d] ?? 0)), n(node.total)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd();
  const variants = r.nodes.flatMap((node) =>
    Object.entries(node.perVariant).map(([v, count]) => `  ${node.node} [${v}]: ${n(count)}`),
  );
  const out = [
    `${r.flow}: users reaching each node, ${r.days[0] ?? ''} to ${r.days.at(-1) ?? ''}`,
    line(head),
    ...rows.map(line),
  ];
  if (variants.length > 0) out.push('per A/B variant:', ...variants);
  return `${out.join('\n')}\n`;
}
