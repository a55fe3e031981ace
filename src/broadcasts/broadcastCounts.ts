import type { BroadcastReport } from './broadcastControl';

/** A broadcast's counters as marketers read them: the skips by reason and the failures by class. */
export interface BroadcastCounts {
  readonly targeted: number;
  readonly queued: number;
  readonly sent: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly failed: Readonly<Record<string, number>>;
  readonly delivered: number;
  readonly read: number;
  readonly clicked: number;
  readonly replied: number;
  readonly repeat: number;
}

/** Each outcome over `sent` (null before anything was sent), so two broadcasts of different sizes compare. */
export interface BroadcastRates {
  readonly delivered: number | null;
  readonly read: number | null;
  readonly clicked: number | null;
  readonly replied: number | null;
}

/**
 * Where the sending stands. `inFlight`: users the lanes queued whose send has no outcome yet. The
 * counters say targeted = queued + lane skips and queued = sent + sender skips + failed + in
 * flight, and a skip is counted under its reason wherever it happened, so in flight = targeted −
 * sent − every skip − every failure (no need to tell lane skips from sender skips).
 */
export interface BroadcastProgress {
  readonly partitionsWalked: number;
  readonly partitions: number;
  readonly inFlight: number;
  /** Every partition walked and its items applied by the lanes (fanout done), nothing in flight; or cancelled. */
  readonly finished: boolean;
}

const sum = (o: Readonly<Record<string, number>>): number => Object.values(o).reduce((a, b) => a + b, 0);

/** The store's flat counters (field → count) grouped; a counter never written is 0. */
export function groupBroadcastStats(stats: Readonly<Record<string, number>>): BroadcastCounts {
  const skipped: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const [counter, n] of Object.entries(stats)) {
    if (counter.startsWith('skipped:')) skipped[counter.slice('skipped:'.length)] = n;
    else if (counter.startsWith('failed:')) failed[counter.slice('failed:'.length)] = n;
  }
  const at = (counter: string) => stats[counter] ?? 0;
  return {
    targeted: at('targeted'),
    queued: at('queued'),
    sent: at('sent'),
    skipped,
    failed,
    delivered: at('delivered'),
    read: at('read'),
    clicked: at('clicked'),
    replied: at('replied'),
    repeat: at('repeat'),
  };
}

export const skippedTotal = (c: BroadcastCounts): number => sum(c.skipped);
export const failedTotal = (c: BroadcastCounts): number => sum(c.failed);

export function broadcastRates(c: BroadcastCounts): BroadcastRates {
  const over = (n: number) => (c.sent === 0 ? null : n / c.sent);
  return { delivered: over(c.delivered), read: over(c.read), clicked: over(c.clicked), replied: over(c.replied) };
}

export function broadcastProgress(report: BroadcastReport, counts: BroadcastCounts): BroadcastProgress {
  const inFlight = Math.max(0, counts.targeted - counts.sent - skippedTotal(counts) - failedTotal(counts));
  const walked = report.partitionsWalked >= report.partitions;
  return {
    partitionsWalked: report.partitionsWalked,
    partitions: report.partitions,
    inFlight,
    finished: report.record.status === 'cancelled' || (walked && inFlight === 0),
  };
}

/** The report as the admin API and `broadcast status --json` answer it. */
export interface BroadcastView {
  readonly id: string;
  readonly name: string | null;
  readonly kind: string | null;
  readonly status: BroadcastReport['record']['status'];
  readonly createdAt: number;
  readonly createdBy: string;
  readonly startAt: number;
  readonly updatedAt: number;
  readonly campaign?: string;
  readonly counts: BroadcastCounts;
  readonly progress: BroadcastProgress;
  readonly rates: BroadcastRates;
}

/** The definition's name and kind, read leniently: a view must not fail on a record a newer release wrote. */
function nameAndKind(definition: string): { name: string | null; kind: string | null } {
  try {
    const d = JSON.parse(definition) as { name?: unknown; kind?: unknown };
    return { name: typeof d.name === 'string' ? d.name : null, kind: typeof d.kind === 'string' ? d.kind : null };
  } catch {
    return { name: null, kind: null };
  }
}

export function broadcastView(report: BroadcastReport): BroadcastView {
  const { record } = report;
  const counts = groupBroadcastStats(report.stats);
  return {
    id: record.id,
    ...nameAndKind(record.definition),
    status: record.status,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    startAt: record.startAt,
    updatedAt: record.updatedAt,
    ...(record.campaign === undefined ? {} : { campaign: record.campaign }),
    counts,
    progress: broadcastProgress(report, counts),
    rates: broadcastRates(counts),
  };
}
