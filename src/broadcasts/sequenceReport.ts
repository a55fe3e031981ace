import type { FlowSet } from '../engine/flowSet';
import { stepStatId } from '../engine/sequenceEvents';
import type { Sequence, SequenceStep } from '../engine/sequenceSchema';
import type { BroadcastStore } from '../store/ports';
import {
  broadcastRates,
  failedTotal,
  groupBroadcastStats,
  skippedTotal,
  type BroadcastCounts,
  type BroadcastRates,
} from './broadcastCounts';

/*
 * A drip sequence's statistics as marketers read them: each step is counted like a broadcast under
 * its own id (seq.<sequence>.<step>), so its counters are grouped and rated with the broadcasts'
 * code. The definition comes from the loaded files: a step removed since has no row (its counters
 * stay in the store), which is what "statistics follow the step id" means.
 */

/** One step: what the file says, and what happened to it so far, summed over every user. */
export interface SequenceStepReport {
  readonly id: string;
  readonly kind: SequenceStep['kind'];
  readonly tag?: string;
  /** As written (`4h`), and in ms. */
  readonly delay: string;
  readonly delayMs: number;
  readonly from: SequenceStep['from'];
  readonly window?: SequenceStep['window'];
  /** `messages` (how many) or the flow node it starts. */
  readonly sends: { readonly messages: number } | { readonly start: string };
  readonly counts: BroadcastCounts;
  /**
   * Steps the lanes queued whose send has no outcome yet: targeted − sent − skips − failures, as
   * for a broadcast (a skip is counted under its reason wherever it happened).
   */
  readonly inFlight: number;
  readonly rates: BroadcastRates;
}

export interface SequenceReport {
  readonly id: string;
  readonly name: string;
  readonly topic: string;
  readonly steps: readonly SequenceStepReport[];
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
];

/** ms → the largest unit that divides it (`0m`, `90m`, `1d`, `2w`), as a file would write it. */
export function formatDelay(ms: number): string {
  for (const [unit, size] of UNITS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 60_000)}m`;
}

/** The report of one sequence from its definition and each step's flat counters (in step order; absent = none yet). */
export function sequenceReport(
  def: Sequence,
  stats: ReadonlyArray<Readonly<Record<string, number>> | undefined>,
): SequenceReport {
  return {
    id: def.id,
    name: def.name,
    topic: def.topic,
    steps: def.steps.map((step, i) => {
      const counts = groupBroadcastStats(stats[i] ?? {});
      return {
        id: step.id,
        kind: step.kind,
        ...(step.tag ? { tag: step.tag } : {}),
        delay: formatDelay(step.delay),
        delayMs: step.delay,
        from: step.from,
        ...(step.window ? { window: step.window } : {}),
        sends: step.start === undefined ? { messages: step.messages?.length ?? 0 } : { start: step.start },
        counts,
        inFlight: Math.max(0, counts.targeted - counts.sent - skippedTotal(counts) - failedTotal(counts)),
        rates: broadcastRates(counts),
      };
    }),
  };
}

/** The headline numbers of a step, for lists: the skips and failures as totals. */
export interface StepHeadline {
  readonly id: string;
  readonly kind: SequenceStep['kind'];
  readonly targeted: number;
  readonly sent: number;
  readonly skipped: number;
  readonly failed: number;
  readonly delivered: number;
  readonly read: number;
  readonly clicked: number;
  readonly replied: number;
}

export function stepHeadline(s: SequenceStepReport): StepHeadline {
  const c = s.counts;
  return {
    id: s.id,
    kind: s.kind,
    targeted: c.targeted,
    sent: c.sent,
    skipped: skippedTotal(c),
    failed: failedTotal(c),
    delivered: c.delivered,
    read: c.read,
    clicked: c.clicked,
    replied: c.replied,
  };
}

/** Reads one sequence's counters: one stats() call per step, all in flight at once (pipelined on Redis). */
export async function readSequenceReport(
  broadcasts: Pick<BroadcastStore, 'stats'>,
  def: Sequence,
  partitions: number,
): Promise<SequenceReport> {
  const all = Array.from({ length: partitions }, (_, p) => p);
  const stats = await Promise.all(def.steps.map((step) => broadcasts.stats(stepStatId(def.id, step.id), all)));
  return sequenceReport(def, stats);
}

/** Every loaded sequence's report, in id order. */
export function readSequenceReports(
  broadcasts: Pick<BroadcastStore, 'stats'>,
  flows: Pick<FlowSet, 'sequences'>,
  partitions: number,
): Promise<SequenceReport[]> {
  const defs = [...flows.sequences.values()].sort((a, b) => a.id.localeCompare(b.id));
  return Promise.all(defs.map((def) => readSequenceReport(broadcasts, def, partitions)));
}
