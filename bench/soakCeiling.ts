/**
 * SOAK_FIND_CEILING=1: the soak's throughput ceiling on this machine. The same processes and mix as
 * the soak (no faults unless asked for), the rate raised by SOAK_CEILING_FACTOR every
 * SOAK_CEILING_STEP_S from SOAK_CEILING_FROM, the inbox lag (items appended and not yet applied,
 * every partition) sampled every 2 s. A step holds while the lag stays bounded; it does not once,
 * over the second half of the step, more than 2 s of arrivals are waiting and the lag still grows
 * by more than 2% of the rate a second (the workers fall behind for good). A step where the
 * generator could not offer 90% of its rate ends the search too (then the ceiling is the
 * generator's, and says so).
 */
import { loadavg } from 'node:os';
import type { SoakKnobs } from './soakConfig';
import type { SoakFleet } from './soakFleet';
import type { SoakLoad } from './soakLoad';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const p = (values: readonly number[], q: number): number | null => {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
};

/** Items waiting in the inbox partitions at one moment: in all of them, and in the fullest. */
export interface LagSample {
  readonly at: number;
  readonly total: number;
  readonly max: number;
}

export interface CeilingStep {
  readonly rate: number;
  readonly offeredPerS: number;
  readonly ackedPerS: number;
  readonly lagStart: number;
  readonly lagEnd: number;
  /** Growth of the lag over the step's second half, items a second. */
  readonly lagGrowthPerS: number;
  readonly ackP99Ms: number | null;
  readonly e2eP99Ms: number | null;
  readonly loadAvg: number;
  readonly verdict: 'held' | 'lag_unbounded' | 'generator_bound';
}

export async function findCeiling(
  k: SoakKnobs,
  load: SoakLoad,
  fleet: SoakFleet,
  sample: (partitions: number) => Promise<LagSample>,
  log: (msg: string) => void,
) {
  const steps: CeilingStep[] = [];
  let rate = k.ceilingFrom;
  load.start();
  while (rate <= k.ceilingMax) {
    load.setRate(rate);
    const o0 = load.offered;
    const a0 = load.acknowledged;
    const ack0 = load.ackMs.length;
    const e2e0 = load.e2eMs.length;
    const t0 = Date.now();
    const samples: LagSample[] = [];
    while (Date.now() < t0 + k.ceilingStepSeconds * 1000) {
      await sleep(2000);
      samples.push(await sample(k.partitions));
      fleet.sampleRss();
    }
    const secs = (Date.now() - t0) / 1000;
    const half = samples.slice(Math.floor(samples.length / 2));
    const first = half[0]!;
    const last = half[half.length - 1]!;
    const growth = (last.total - first.total) / Math.max(1, (last.at - first.at) / 1000);
    const offeredPerS = Math.round((load.offered - o0) / secs);
    const verdict: CeilingStep['verdict'] =
      last.total > rate * 2 && growth > rate * 0.02 ? 'lag_unbounded' : offeredPerS < rate * 0.9 ? 'generator_bound' : 'held';
    const step: CeilingStep = {
      rate,
      offeredPerS,
      ackedPerS: Math.round((load.acknowledged - a0) / secs),
      lagStart: samples[0]?.total ?? 0,
      lagEnd: last.total,
      lagGrowthPerS: Math.round(growth),
      ackP99Ms: p(load.ackMs.slice(ack0), 0.99),
      e2eP99Ms: p(load.e2eMs.slice(e2e0), 0.99),
      loadAvg: Math.round(loadavg()[0]! * 10) / 10,
      verdict,
    };
    steps.push(step);
    log(`ceiling step ${JSON.stringify(step)}`);
    if (verdict !== 'held') break;
    rate = Math.round(rate * k.ceilingFactor);
  }
  await load.stop();
  const held = steps.filter((s) => s.verdict === 'held').pop();
  const broke = steps.find((s) => s.verdict !== 'held');
  return {
    soak: 'issue14-ceiling',
    store: k.store,
    ceiling: {
      heldRate: held?.rate ?? null,
      heldAckedPerS: held?.ackedPerS ?? null,
      brokeAt: broke?.rate ?? null,
      why: broke?.verdict ?? 'max_reached',
    },
    steps,
    rssMb: { web: fleet.webPeakMb, worker: fleet.workerPeakMb },
  };
}
