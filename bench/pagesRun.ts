import { startFakeGraphApi } from '../src/emulator/fakeGraphApi';
import { runPhase, type PagesBenchOptions, type PhaseResult, type PhaseRig } from './pagesPhase';
import { latencyFigures } from './pagesProbes';
import { startGraphProxy } from '../tests/support/graphProxy';
import { APP_SECRET, PAGE_A, PAGE_B, TOKENS, writePagesFiles } from './pagesSetup';
import type { ReplySample } from './pagesTrickle';
import { openRedis } from './processes';

/** Meta's Send API rate per Page (docs/messenger-platform.md §6.1), held by each Page's fake: 613 past it. */
export const PAGE_RATE = { calls: 300, windowMs: 1000, mediaCalls: 10 } as const;
/** Issue #18's goal: B's reply p99 under A's rate pressure within 10% of its quiet figure. */
export const GOAL_P99_RATIO = 1.1;

export interface PagesBenchResult {
  readonly phases: readonly PhaseResult[];
  /** B's reply latency over every window of a kind (ms). */
  readonly b: { readonly quiet: ReturnType<typeof latencyFigures>; readonly pressure: ReturnType<typeof latencyFigures> };
  /** B's p99 under pressure over its quiet p99 (pooled); null without both kinds. */
  readonly p99Ratio: number | null;
  /** Each pressure phase's p99 over the quiet phase just before it (machine noise differs less within a pair). */
  readonly p99RatioByPair: readonly number[];
  readonly goalMet: boolean | null;
}

const ratio = (n: number, d: number) => Math.round((n / d) * 100) / 100;

/** Each pressure phase's B p99 over that of the quiet phase right before it. */
function pairRatios(phases: readonly PhaseResult[]): number[] {
  const out: number[] = [];
  phases.forEach((p, i) => {
    const before = phases[i - 1];
    if (p.kind === 'pressure' && before?.kind === 'quiet' && before.b.replyMs.p99 > 0)
      out.push(ratio(p.b.replyMs.p99, before.b.replyMs.p99));
  });
  return out;
}

/**
 * Two Pages in one service process (bench:pages, issue #18), each with its own fake Graph API
 * holding it to Meta's Send API rate; the phases in `o.phases` order, each on a fresh service.
 */
export async function runPagesBench(o: PagesBenchOptions, graphLatencyMs: number): Promise<PagesBenchResult> {
  const fake = (page: string, token: string) =>
    startFakeGraphApi({
      appSecret: APP_SECRET,
      accessToken: token,
      pageId: page,
      appId: 'test-app',
      maxRecordedCalls: 0,
      sendRateLimit: PAGE_RATE,
    });
  const fakes = { a: await fake(PAGE_A, TOKENS.a), b: await fake(PAGE_B, TOKENS.b) };
  const routes: Readonly<Record<string, string>> = { [TOKENS.a]: fakes.a.url, [TOKENS.b]: fakes.b.url };
  const proxy = await startGraphProxy((token) => (token === undefined ? undefined : routes[token]));
  const files = writePagesFiles(o.aRatePerSec);
  const redis = await openRedis(o.redisUrl);
  const rig: PhaseRig = {
    fakes,
    graphUrl: proxy.url,
    pagesFile: files.pagesFile,
    unknownTokenCalls: proxy.unknownTokenCalls,
    graphLatencyMs,
    redis,
  };
  const phases: PhaseResult[] = [];
  const pooled: Record<'quiet' | 'pressure', ReplySample[]> = { quiet: [], pressure: [] };
  try {
    for (const [i, kind] of o.phases.entries()) {
      const { result, samples } = await runPhase(o, rig, kind, i);
      phases.push(result);
      pooled[kind].push(...samples);
    }
  } finally {
    await proxy.close();
    await Promise.all([fakes.a.stop(), fakes.b.stop()]);
    files.remove();
    await redis.quit();
  }
  const b = { quiet: latencyFigures(pooled.quiet), pressure: latencyFigures(pooled.pressure) };
  const p99Ratio = b.quiet.count > 0 && b.pressure.count > 0 && b.quiet.p99 > 0 ? ratio(b.pressure.p99, b.quiet.p99) : null;
  const p99RatioByPair = pairRatios(phases);
  return { phases, b, p99Ratio, p99RatioByPair, goalMet: p99Ratio === null ? null : p99Ratio <= GOAL_P99_RATIO };
}
