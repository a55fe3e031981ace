import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { percentile } from './loadgen';
import { PAGE_A, PAGE_B } from './pagesSetup';
import type { ReplySample } from './pagesTrickle';
import type { Redis } from './processes';

/** What bench:pages reads off its fakes, the service's logs and Redis (bench/pagesPhase.ts). */

const AUTH_CODES = new Set([190, 100]);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface LatencyFigures {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function latencyFigures(samples: readonly ReplySample[]): LatencyFigures {
  const sorted = Float64Array.from(samples.map((s) => s.ms)).sort();
  return {
    count: sorted.length,
    p50: Math.round(percentile(sorted, 50)),
    p99: Math.round(percentile(sorted, 99)),
    max: Math.round(percentile(sorted, 100)),
  };
}

/** B's median reply latency by the second of its POST since the phase began. */
export function bySecond(samples: readonly ReplySample[], from: number): number[] {
  const buckets: ReplySample[][] = [];
  for (const s of samples) (buckets[Math.floor((s.postedAt - from) / 1000)] ??= []).push(s);
  return Array.from(buckets, (b) => (b === undefined ? 0 : latencyFigures(b).p50));
}

/** The sum of every series of a metric in a Prometheus text page. */
export function metricSum(page: string, name: string): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    const next = line[name.length];
    if (line.startsWith(name) && (next === '{' || next === ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

/** Calls a Page's fake got that were another Page's (a PSID not its own) or refused for their token or proof. */
export function wrongCalls(fake: FakeGraphApi, ownTag: string): { count: () => number; close: () => void } {
  let n = 0;
  const close = fake.onCall((c: FakeCall) => {
    const code = (c.response as { error?: { code?: unknown } } | undefined)?.error?.code;
    if ((c.recipientId !== undefined && !c.recipientId.startsWith(`${ownTag}-`)) || AUTH_CODES.has(Number(code))) n += 1;
  });
  return { count: () => n, close };
}

/** Entries in the streams matching `pattern` (A's inbox: items not yet applied; its outbox: effects not yet done). */
export async function streamEntries(redis: Redis, pattern: string): Promise<number> {
  let n = 0;
  for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 1000 }))
    for (const key of keys) n += await redis.xLen(key);
  return n;
}

/** Waits until A's inbox partitions (`<prefix>:{p<N>}:inbox`; B's are under `<prefix>:<B>:`) hold nothing. */
export async function waitForApplied(redis: Redis, prefix: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await streamEntries(redis, `${prefix}:{p*}:inbox`)) === 0) return true;
    await sleep(250);
  }
  return false;
}

/** The service's warnings and errors by Page and message, with the first one's error, to say why a phase went wrong. */
export function complaints(
  logs: ReadonlyArray<Record<string, unknown>>,
  from: number,
): Record<string, { n: number; err?: string }> {
  const out: Record<string, { n: number; err?: string }> = {};
  for (const l of logs.slice(from)) {
    if (Number(l.level) < 40) continue;
    const key = `${l.page === PAGE_A ? 'A' : l.page === PAGE_B ? 'B' : '-'}: ${String(l.msg)}`;
    const err = (l.err as { message?: unknown } | undefined)?.message;
    out[key] ??= { n: 0, ...(err === undefined ? {} : { err: String(err).slice(0, 200) }) };
    (out[key] as { n: number }).n += 1;
  }
  return out;
}
