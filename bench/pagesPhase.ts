import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { textMessageBody } from '../src/cli/sendEvent';
import type { FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { spawnService, type SpawnedService } from '../tests/support/spawnService';
import { get, keepAlive, postSigned, waitFor } from '../tests/support/webhookClient';
import { GraphCallTally } from './graphCallTally';
import { bySecond, complaints, latencyFigures, metricSum, streamEntries, waitForApplied, wrongCalls } from './pagesProbes';
import { PAGE_A, PAGE_B, pagesServiceEnv } from './pagesSetup';
import { Trickle } from './pagesTrickle';
import { deletePrefix, processCpuSeconds, redisCpuSeconds, stopProcess, type Redis } from './processes';

export type PhaseKind = 'quiet' | 'pressure';

export interface PagesBenchOptions {
  readonly redisUrl: string;
  readonly phases: readonly PhaseKind[];
  /** The measured window of each phase. */
  readonly windowMs: number;
  /** B's trickle runs this long before the window (both kinds), so a fresh process's start-up is not measured. */
  readonly warmupMs: number;
  readonly bRatePerSec: number;
  readonly bUsers: number;
  /** New users writing "hello" to A at once at the start of a pressure phase. */
  readonly aUsers: number;
  /** A's send bucket (pages file send_rate_per_sec); B's is the default. */
  readonly aRatePerSec: number;
  readonly connections: number;
  readonly partitions: string | undefined;
  /** Longest wait for A's events to be applied and for B's last answers. */
  readonly settleTimeoutMs: number;
  readonly log: (msg: string) => void;
}

/** What a phase shares with the others: the fakes (one per Page), the proxy in front of them, the pages file. */
export interface PhaseRig {
  readonly fakes: { readonly a: FakeGraphApi; readonly b: FakeGraphApi };
  readonly graphUrl: string;
  readonly pagesFile: string;
  readonly unknownTokenCalls: () => number;
  readonly graphLatencyMs: number;
  /** The bench's own client: A's inbox and outbox lengths, and deleting each phase's keys. */
  readonly redis: Redis;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round2 = (n: number) => Math.round(n * 100) / 100;

/** A's new users, each one "hello", over `connections` keep-alive connections; a POST not answered 200 goes again (3 tries). */
async function postToA(port: number, tag: string, users: number, connections: number): Promise<number> {
  const agent = keepAlive(connections);
  let next = 0;
  let lost = 0;
  const lane = async () => {
    while (next < users) {
      const u = next++;
      const body = textMessageBody(PAGE_A, `${tag}-u${u}`, 'hello', Date.now(), `m_${tag}_${u}`);
      let ok = false;
      for (let attempt = 0; attempt < 3 && !ok; attempt += 1)
        ok = (await postSigned(port, body, agent).catch(() => ({ status: 0 }))).status === 200;
      if (!ok) lost += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
  agent.destroy();
  return lost;
}

/**
 * Starts the service and resolves with it and its public port: the one on the "talkshop ready" line
 * that is not B's (before 954586e each Page's worker logged one, B's first, with its ops port).
 */
async function startService(env: Record<string, string | undefined>): Promise<{ service: SpawnedService; port: number }> {
  const service = await spawnService(env);
  try {
    const ready = await waitFor("A's ready line", () =>
      service.logs.find((l) => l.msg === 'talkshop ready' && l.page !== PAGE_B),
    );
    return { service, port: Number(ready.port) };
  } catch (err) {
    await stopProcess(service.proc, service.exited());
    throw err;
  }
}

/** The measured window: its bounds, the service's CPU and event loop in it, A's backlog at its end. */
async function measureWindow(
  o: PagesBenchOptions,
  service: SpawnedService,
  port: number,
  redis: Redis,
  prefix: string,
  started: number,
) {
  const scrape = () =>
    get(port, '/metrics').then(
      (r) => (r.status === 200 ? r.body : undefined),
      () => undefined,
    );
  await scrape(); // resets the event loop's delay histogram: the next scrape covers the window
  const from = Date.now();
  const cpu = processCpuSeconds(service.proc.pid);
  const redisCpu = await redisCpuSeconds(redis);
  const bench = process.cpuUsage();
  const load = loadavg()[0] ?? 0;
  await sleep(o.windowMs);
  const to = Date.now();
  const serviceCpu = processCpuSeconds(service.proc.pid) - cpu;
  const benchCpu = process.cpuUsage(bench);
  const redisCpuUsed = (await redisCpuSeconds(redis)) - redisCpu;
  const metrics = await scrape();
  const seconds = (to - from) / 1000;
  return {
    from,
    to,
    seconds,
    figures: {
      windowSeconds: round2(seconds),
      windowOpenedSeconds: round2((from - started) / 1000),
      serviceCpuSeconds: round2(serviceCpu),
      serviceCpuShare: round2(serviceCpu / seconds),
      benchCpuSeconds: round2((benchCpu.user + benchCpu.system) / 1e6),
      // The Redis server's, shared with whatever else runs on this machine.
      redisCpuSeconds: round2(redisCpuUsed),
      eventLoopDelayP99Ms:
        metrics === undefined ? null : round2(metricSum(metrics, 'talkshop_nodejs_eventloop_lag_p99_seconds') * 1000),
      loadAverage: round2(load),
    },
    aOutboxAtEnd: await streamEntries(redis, `${prefix}:{p*}:outbox`),
  };
}

/** A's users at once, then the wait until A has applied every one of their events. */
async function pressA(
  o: PagesBenchOptions,
  at: { port: number; pid: number | undefined },
  redis: Redis,
  prefix: string,
  tag: string,
) {
  const started = Date.now();
  const cpu = processCpuSeconds(at.pid);
  const lost = await postToA(at.port, tag, o.aUsers, o.connections);
  const posted = Date.now();
  const applied = await waitForApplied(redis, prefix, o.settleTimeoutMs);
  return {
    postsLost: lost,
    postSeconds: round2((posted - started) / 1000),
    appliedSeconds: round2((Date.now() - started) / 1000),
    allApplied: applied,
    // The service's CPU while it took A's users in (both Pages' work: one process).
    serviceCpuSeconds: round2(processCpuSeconds(at.pid) - cpu),
  };
}

/**
 * One phase on a fresh service (its own key prefix, deleted after): B's trickle from the start;
 * in a pressure phase A's users write at once and the window opens when A has applied them all and
 * B has answered the texts sent meanwhile (so the window sees A's backlog on its send bucket, not
 * the CPU of taking its events in, nor B catching up with it); in a
 * quiet phase A gets nothing. The window opens no sooner than the warm-up in either kind.
 */
export async function runPhase(o: PagesBenchOptions, rig: PhaseRig, kind: PhaseKind, index: number) {
  const tag = randomUUID().slice(0, 6);
  const prefix = `bench-pages-${tag}`;
  const tags = { a: `a${tag}`, b: `b${tag}` };
  for (const fake of [rig.fakes.a, rig.fakes.b]) {
    fake.reset(); // a fresh Send API window per phase (reset also clears the latency)
    fake.fail.latency(rig.graphLatencyMs);
  }
  const unknownBefore = rig.unknownTokenCalls();
  const env = pagesServiceEnv({
    redisUrl: o.redisUrl,
    prefix,
    graphUrl: rig.graphUrl,
    pagesFile: rig.pagesFile,
    partitions: o.partitions,
  });
  const { service, port } = await startService(env);
  const agent = keepAlive(16);
  const trickle = new Trickle({ port, pageId: PAGE_B, ratePerSec: o.bRatePerSec, users: o.bUsers, tag: tags.b, agent });
  const aTimes: number[] = [];
  const tally = {
    a: new GraphCallTally(rig.fakes.a, (_p, at) => aTimes.push(at)),
    b: new GraphCallTally(rig.fakes.b, (p, at) => trickle.reply(p, at)),
  };
  const wrong = { a: wrongCalls(rig.fakes.a, tags.a), b: wrongCalls(rig.fakes.b, tags.b) };
  try {
    const started = Date.now();
    const logsAtStart = service.logs.length; // the start-up's lint warnings are not the phase's
    trickle.start();
    const aIntake = kind === 'pressure' ? await pressA(o, { port, pid: service.proc.pid }, rig.redis, prefix, tags.a) : {};
    if (kind === 'pressure') o.log(`${kind}#${index}: A's ${o.aUsers} users ${JSON.stringify(aIntake)}`);
    // B's texts from the intake answered: the window sees A's backlog, not B catching up with the intake.
    const caughtUpBy = Date.now();
    const settle = Date.now() + o.settleTimeoutMs;
    while (trickle.unanswered(caughtUpBy) > 0 && Date.now() < settle) await sleep(50);
    await sleep(Math.max(0, started + o.warmupMs - Date.now()));
    const w = await measureWindow(o, service, port, rig.redis, prefix, started);
    await trickle.stop();
    const settleEnd = Date.now() + o.settleTimeoutMs;
    while (trickle.unanswered() > 0 && Date.now() < settleEnd) await sleep(50);
    const inWindow = trickle.samples.filter((s) => s.postedAt >= w.from && s.postedAt < w.to);
    const fa = tally.a.figures();
    const fb = tally.b.figures();
    const result = {
      kind,
      b: {
        sent: trickle.sent,
        postsFailed: trickle.postsFailed,
        unanswered: trickle.unanswered(),
        extraReplies: trickle.extraReplies,
        replyMs: latencyFigures(inWindow),
        // B's texts while A's users were being taken in (CPU, not rate, pressure), apart from the window.
        replyMsBeforeWindow: latencyFigures(trickle.samples.filter((s) => s.postedAt < w.from)),
      },
      a: {
        users: kind === 'pressure' ? o.aUsers : 0,
        ...aIntake,
        deliveredPerSec: round2(aTimes.filter((t) => t >= w.from && t < w.to).length / w.seconds),
        messagesDelivered: fa.messagesSent,
        // A's outbox entries not yet done at the window's end (replies and seen markers): what its bucket holds back.
        outboxAtWindowEnd: w.aOutboxAtEnd,
      },
      answers613: { a: fa.rateLimitAnswers['613'], b: fb.rateLimitAnswers['613'] },
      peakSendApiCallsPerSecond: { a: fa.peakSendApiCallsPerSecond, b: fb.peakSendApiCallsPerSecond },
      wrongTokenCalls: wrong.a.count() + wrong.b.count() + rig.unknownTokenCalls() - unknownBefore,
      ...w.figures,
      serviceComplaints: complaints(service.logs, logsAtStart),
    };
    o.log(`${kind}#${index}: ${JSON.stringify(result)}`);
    if (process.env.BENCH_DEBUG_SECONDS) o.log(`B p50 by second: ${JSON.stringify(bySecond(trickle.samples, started))}`);
    return { result, samples: inWindow };
  } finally {
    await trickle.stop();
    agent.destroy();
    for (const t of [tally.a, tally.b]) t.close();
    for (const x of [wrong.a, wrong.b]) x.close();
    await stopProcess(service.proc, service.exited());
    await deletePrefix(rig.redis, prefix);
  }
}

export type PhaseResult = Awaited<ReturnType<typeof runPhase>>['result'];
