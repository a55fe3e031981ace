/**
 * `npm run bench:reply` (issue #16): replies delivered end to end per second, Talkshop against a
 * stock Bottender app, in one run, with the same conversations.
 *
 * Path: signed webhook POST → target → Redis → target → the fake Graph API in this process (no
 * rate limit, BENCH_GRAPH_LATENCY_MS of latency). The targets (bench/replyTargets.ts) answer every
 * text with "count N" and keep N per user in Redis; the load (bench/replyLoad.ts) has each of
 * BENCH_USERS users send BENCH_MESSAGES texts, each user in order, many users at once: by default
 * a user's texts back to back (BENCH_PATTERN=burst), or a lane's round apart (interleaved). Both
 * targets run for the whole bench; each gets a warm-up (its own users, not measured), then
 * BENCH_ROUNDS measured rounds in the order A B, B A, … with fresh users each round.
 *
 * Per target: repliesPerSec = replies at the fake (200 /messages) over the time from the first
 * webhook POST to the last reply, summed over rounds; CPU seconds of the target process and of
 * redis-server from before the first POST until the last reply was seen; lostUpdates = Σ users
 * (messages − highest count replied); usersOutOfOrder = users whose replies are not exactly
 * count 1..k in arrival order; missing = replies never received. A round ends when every reply
 * arrived, or when none came for BENCH_IDLE_S (10) seconds, at most BENCH_TIMEOUT_S (600).
 *
 * Knobs (environment): BENCH_USERS (1000), BENCH_MESSAGES (5), BENCH_CONNECTIONS (64),
 * BENCH_ROUNDS (2), BENCH_PATTERN (burst), BENCH_WARMUP_USERS (half of BENCH_USERS, 0 = none),
 * BENCH_GRAPH_LATENCY_MS (0), BENCH_IDLE_S, BENCH_TIMEOUT_S, BENCH_PARTITIONS (Talkshop's
 * INBOX_PARTITIONS; default the service's), REDIS_URL. Prints one JSON line on stdout; progress
 * on stderr. Every Redis key the run writes is under a per-run prefix and deleted at the end; the
 * child processes are stopped, also on error.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { keepAlive } from '../tests/support/webhookClient';
import { deletePrefix, processCpuSeconds, redisCpuSeconds, type Redis } from './processes';
import { buildLanes, LOAD_PATTERNS, postLanes, ReplyTally, waitForReplies, type LoadPattern, type ReplyCheck } from './replyLoad';
import { counterFlowsDir, MESSENGER, startBottender, startTalkshop, type ReplyTarget } from './replyTargets';
import { runBench } from './serviceRun';

const int = (name: string, fallback: number, min = 1): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v >= min ? v : fallback;
};

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = int('BENCH_USERS', 1000);
const MESSAGES = int('BENCH_MESSAGES', 5);
const CONNECTIONS = int('BENCH_CONNECTIONS', 64);
const ROUNDS = int('BENCH_ROUNDS', 2);
// The first rounds ran 15-90% slower than the second with 100 warm-up users (JIT, heap growth):
// half a round evened them out.
const WARMUP_USERS = int('BENCH_WARMUP_USERS', Math.ceil(USERS / 2), 0);
const LATENCY_MS = int('BENCH_GRAPH_LATENCY_MS', 0, 0);
const PATTERN = ((raw = process.env.BENCH_PATTERN || 'burst'): LoadPattern => {
  const known = LOAD_PATTERNS.find((p) => p === raw);
  if (known === undefined) throw new Error(`BENCH_PATTERN ${raw}: expected ${LOAD_PATTERNS.join(' or ')}`);
  return known;
})();
const IDLE_MS = int('BENCH_IDLE_S', 10) * 1000;
const CAP_MS = int('BENCH_TIMEOUT_S', 600) * 1000;

const RUN = randomUUID().slice(0, 8);
const PREFIXES = { talkshop: `bench-reply-ts-${RUN}`, bottender: `bench-reply-btd-${RUN}` } as const;

const log = (msg: string) => process.stderr.write(`[bench:reply] ${msg}\n`);
const r1 = (n: number) => Math.round(n * 10) / 10;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** What one round (or the warm-up) of one target measured. */
interface Round extends ReplyCheck {
  readonly replies: number;
  readonly expected: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly redisCpuSeconds: number;
  readonly benchCpuSeconds: number;
  /** CPU the other target (idle, between its own rounds) used meanwhile. */
  readonly peerCpuSeconds: number;
  readonly graphCalls: number;
  readonly byEndpoint: Record<string, number>;
  readonly graphErrors: number;
  readonly webhookFailures: number;
}

const perSec = (r: Round) => (r.seconds > 0 ? r1(r.replies / r.seconds) : 0);

/** Runs one conversation of `users` fresh users against `t` and waits for its replies. */
async function drive(
  fake: FakeGraphApi,
  redis: Redis,
  t: ReplyTarget,
  peer: ReplyTarget | undefined,
  tag: string,
  users: number,
): Promise<Round> {
  const psids = Array.from({ length: users }, (_, i) => `${tag}-u${i}`);
  const spec = { pageId: MESSENGER.MESSENGER_PAGE_ID, appSecret: MESSENGER.MESSENGER_APP_SECRET, messages: MESSAGES };
  const lanes = buildLanes({ ...spec, psids, connections: CONNECTIONS, tag, pattern: PATTERN });
  const expected = users * MESSAGES;
  const tally = new ReplyTally(fake, psids);
  const agent = keepAlive(CONNECTIONS);
  try {
    const cpu0 = {
      target: processCpuSeconds(t.pid),
      peer: processCpuSeconds(peer?.pid),
      redis: await redisCpuSeconds(redis),
      bench: process.cpuUsage(),
    };
    const posted = await postLanes(t.port, lanes, agent);
    if (posted.failed > 0) log(`${t.name} ${tag}: WARNING ${posted.failed} webhook POSTs failed, e.g. ${posted.sampleError}`);
    const outcome = await waitForReplies(tally, expected, {
      since: posted.startedAt,
      idleMs: IDLE_MS,
      capMs: CAP_MS,
      log: (msg) => log(`${t.name} ${tag}: ${msg}`),
    });
    const bench = process.cpuUsage(cpu0.bench);
    const round: Round = {
      replies: tally.replies,
      expected,
      seconds: Math.max(0, tally.lastReplyAt - posted.startedAt) / 1000,
      cpuSeconds: processCpuSeconds(t.pid) - cpu0.target,
      redisCpuSeconds: (await redisCpuSeconds(redis)) - cpu0.redis,
      benchCpuSeconds: (bench.user + bench.system) / 1e6,
      peerCpuSeconds: processCpuSeconds(peer?.pid) - cpu0.peer,
      graphCalls: tally.graphCalls,
      byEndpoint: { ...tally.byEndpoint },
      graphErrors: tally.graphErrors,
      webhookFailures: posted.failed,
      ...tally.check(MESSAGES),
    };
    if (t.exited()) throw new Error(`${t.name} (pid ${t.pid}) exited during ${tag}`);
    if (outcome.kind !== 'complete') log(`${t.name} ${tag}: WARNING ${outcome.kind} at ${outcome.replies}/${expected} replies`);
    log(
      `${t.name} ${tag}: ${round.replies}/${expected} replies in ${r3(round.seconds)} s (${perSec(round)}/s), ` +
        `cpu ${r3(round.cpuSeconds)} s, redis ${r3(round.redisCpuSeconds)} s, lost ${round.lostUpdates}, ` +
        `out of order ${round.usersOutOfOrder}, graph calls ${round.graphCalls} (${round.graphErrors} refused)`,
    );
    return round;
  } finally {
    tally.close();
    agent.destroy();
  }
}

const addUp = (counts: ReadonlyArray<Record<string, number>>): Record<string, number> => {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n;
  return total;
};

/** The rounds of one target, added up. */
function summary(rounds: readonly Round[]) {
  const sum = (f: (r: Round) => number) => rounds.reduce((acc, r) => acc + f(r), 0);
  const replies = sum((r) => r.replies);
  const seconds = sum((r) => r.seconds);
  const per1000 = (cpu: number) => (replies > 0 ? r3((cpu / replies) * 1000) : null);
  return {
    repliesPerSec: seconds > 0 ? r1(replies / seconds) : 0,
    cpuSecondsPer1000Replies: per1000(sum((r) => r.cpuSeconds)),
    redisCpuSeconds: r3(sum((r) => r.redisCpuSeconds)),
    redisCpuSecondsPer1000Replies: per1000(sum((r) => r.redisCpuSeconds)),
    lostUpdates: sum((r) => r.lostUpdates),
    usersWithLostUpdates: sum((r) => r.usersWithLostUpdates),
    usersOutOfOrder: sum((r) => r.usersOutOfOrder),
    usersReordered: sum((r) => r.usersReordered),
    missing: sum((r) => r.missing),
    extraReplies: sum((r) => r.extraReplies),
    replies,
    seconds: r3(seconds),
    cpuSeconds: r3(sum((r) => r.cpuSeconds)),
    // The bench process: load generator and fake Graph API (the same work per reply for both).
    benchCpuSeconds: r3(sum((r) => r.benchCpuSeconds)),
    idlePeerCpuSeconds: r3(sum((r) => r.peerCpuSeconds)),
    graphCallsPerReply: replies > 0 ? r3(sum((r) => r.graphCalls) / replies) : null,
    graphCallsByEndpoint: addUp(rounds.map((r) => r.byEndpoint)),
    graphErrors: sum((r) => r.graphErrors),
    webhookFailures: sum((r) => r.webhookFailures),
    repliesPerSecRounds: rounds.map(perSec),
  };
}

const out: Record<string, unknown> = {
  bench: 'reply',
  users: USERS,
  messagesPerUser: MESSAGES,
  pattern: PATTERN,
  connections: CONNECTIONS,
  rounds: ROUNDS,
  graphLatencyMs: LATENCY_MS,
  loadAvg1m: r1(loadavg()[0] ?? 0),
};

runBench(REDIS_URL, out, async (fake, redis) => {
  fake.fail.latency(LATENCY_MS);
  const flowsDir = counterFlowsDir();
  const targets: ReplyTarget[] = [];
  try {
    const common = { redisUrl: REDIS_URL, graphUrl: fake.url };
    targets.push(await startTalkshop({ ...common, prefix: PREFIXES.talkshop, flowsDir }));
    targets.push(await startBottender({ ...common, prefix: PREFIXES.bottender }));
    log(`targets ready: ${targets.map((t) => `${t.name} pid ${t.pid}`).join(', ')}`);
    // Both start cold: a conversation each, not measured, lets the JIT, heaps and pools warm up.
    const peerOf = (t: ReplyTarget) => targets.find((other) => other !== t);
    if (WARMUP_USERS > 0) for (const t of targets) await drive(fake, redis, t, peerOf(t), `${RUN}-${t.name}-warm`, WARMUP_USERS);
    const results = new Map<ReplyTarget['name'], Round[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order)
        results.get(t.name)?.push(await drive(fake, redis, t, peerOf(t), `${RUN}-${t.name}-r${round}`, USERS));
    }
    const talkshop = summary(results.get('talkshop') ?? []);
    const bottender = summary(results.get('bottender') ?? []);
    out.talkshop = talkshop;
    out.bottender = bottender;
    const [a, b] = [talkshop.repliesPerSec, bottender.repliesPerSec];
    out.ratio = b > 0 ? Math.round((a / b) * 100) / 100 : null;
    // Each round ran the two back to back: its ratio is the least disturbed by the machine's
    // swings in speed (this 2-core VM is shared), and their spread shows how large those were.
    out.ratioRounds = talkshop.repliesPerSecRounds.map((t, i) => {
      const bt = bottender.repliesPerSecRounds[i] ?? 0;
      return bt > 0 ? Math.round((t / bt) * 100) / 100 : null;
    });
  } finally {
    for (const t of targets) await t.stop().catch((err: unknown) => log(`${t.name}: stop failed: ${String(err)}`));
    for (const prefix of Object.values(PREFIXES)) log(`deleted ${await deletePrefix(redis, prefix)} keys under ${prefix}:`);
    rmSync(flowsDir, { recursive: true, force: true });
  }
});
