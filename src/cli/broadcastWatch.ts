import { Presets, SingleBar } from 'cli-progress';
import { failedTotal, skippedTotal, type BroadcastView } from '../broadcasts/broadcastCounts';
import { formatProgressLine, sendRate, type Sample } from './broadcastSummary';

export interface WatchOptions {
  /** The broadcast's report now; null once it does not exist. */
  readonly report: () => Promise<BroadcastView | null>;
  readonly stream: NodeJS.WritableStream;
  /** A live bar (stderr is a terminal), else a plain line every `lineEveryMs`. */
  readonly tty: boolean;
  /** Nothing on the stream (--json): only the final report matters. */
  readonly quiet: boolean;
  readonly pollMs: number;
  readonly lineEveryMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const doneOf = (v: BroadcastView) => v.counts.sent + skippedTotal(v.counts) + failedTotal(v.counts);

/**
 * Polls a broadcast's report until it finished (every partition walked and its items applied by
 * the lanes, which the fan-out records itself, and nothing in flight) or was cancelled, showing
 * the progress meanwhile; returns the last report. The bar's total is the users targeted so far:
 * it grows while the fan-out walks.
 */
export async function watchBroadcast(o: WatchOptions): Promise<BroadcastView | null> {
  const samples: Sample[] = [];
  let bar: SingleBar | undefined;
  let lastLine = -Infinity;
  try {
    for (;;) {
      const view = await o.report();
      if (!view) return null;
      const at = o.now();
      samples.push({ at, done: doneOf(view) });
      if (samples.length > 120) samples.shift();
      const line = formatProgressLine(view, sendRate(samples));
      if (!o.quiet && o.tty) {
        bar ??= new SingleBar(
          { stream: o.stream, format: '{bar} {value}/{total} | {line}', hideCursor: true, etaBuffer: 20 },
          Presets.shades_classic,
        );
        if (!bar.isActive) bar.start(Math.max(1, view.counts.targeted), doneOf(view), { line });
        bar.setTotal(Math.max(1, view.counts.targeted));
        bar.update(doneOf(view), { line });
      } else if (!o.quiet && at - lastLine >= o.lineEveryMs) {
        o.stream.write(`${view.id}: ${line}\n`);
        lastLine = at;
      }
      if (view.progress.finished) return view;
      await o.sleep(o.pollMs);
    }
  } finally {
    bar?.stop();
  }
}
