/**
 * bench:pages's own parts work (bench/pagesRun.ts): a tiny run, one quiet and one pressure phase of
 * a couple of seconds each on a real service serving two Pages, each with its own fake Graph API
 * behind the token proxy. Only counts are asserted (every B text answered once, A's users all
 * applied and answered in part, no call with the wrong token, no 613); the latencies the bench
 * prints are figures, never asserted. Needs the build (dist/), like every spawned-service test.
 */
import { runPagesBench } from '../../bench/pagesRun';
import { TEST_REDIS_URL } from '../support/testEnv';

it('runs a quiet and a pressure phase and accounts for every message and call', async () => {
  const result = await runPagesBench(
    {
      redisUrl: TEST_REDIS_URL,
      phases: ['quiet', 'pressure'],
      windowMs: 1500,
      warmupMs: 500,
      bRatePerSec: 10,
      bUsers: 10,
      aUsers: 20,
      aRatePerSec: 5,
      connections: 4,
      partitions: '4',
      settleTimeoutMs: 60_000,
      log: () => undefined,
    },
    5,
  );
  expect(result.phases.map((p) => p.kind)).toEqual(['quiet', 'pressure']);
  for (const phase of result.phases) {
    expect(phase.b.sent).toBeGreaterThan(0);
    expect({ failed: phase.b.postsFailed, unanswered: phase.b.unanswered, extra: phase.b.extraReplies }).toEqual({
      failed: 0,
      unanswered: 0,
      extra: 0,
    });
    expect(phase.b.replyMs.count).toBeGreaterThan(0);
    expect(phase.wrongTokenCalls).toBe(0);
    expect(phase.answers613).toEqual({ a: 0, b: 0 });
  }
  const [quiet, pressure] = result.phases;
  expect(quiet?.a.messagesDelivered).toBe(0);
  expect(pressure?.a).toMatchObject({ users: 20, postsLost: 0, allApplied: true });
  expect(pressure?.a.messagesDelivered).toBeGreaterThan(0);
  expect(result.b.quiet.count + result.b.pressure.count).toBeGreaterThan(0);
  expect(result.p99Ratio).not.toBeNull();
  expect(result.p99RatioByPair).toHaveLength(1);
});
