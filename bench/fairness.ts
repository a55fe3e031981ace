/**
 * Fairness benchmark (issue #15): what one user writing 20 messages a second does to the reply
 * latency of another user in the same inbox partition.
 *
 * The real service runs as one child process (ROLE=all, Redis, the shipped flows, a few
 * partitions) against the fake Graph API, which runs in this process with a small answer latency.
 * The flooder's and the victim's PSIDs are picked so both hash into the same partition. Phases, each
 * BENCH_SECONDS long, in one run so they compare on the same machine state:
 *
 * - baseline: the victim alone;
 * - flood: the flooder posts BENCH_FLOOD_RATE signed text messages a second ("hello", unique mids,
 *   paced by the clock, never waiting for an ack) while the victim keeps talking;
 * - floodNoLimit: the same on a fresh service with USER_REPLIES_PER_MINUTE=0, to show what the
 *   per-user reply limit adds over the sender's fair share alone.
 *
 * The victim says "menu" (the shop flows answer it with exactly one message), waits for the bot's
 * reply at the fake, pauses BENCH_VICTIM_PAUSE_MS and says it again. Its latency is from the webhook
 * POST to the arrival of that reply's Send API call at the fake. The pause keeps the victim itself
 * under the reply limit (30 a minute after a burst of 10): with a 1 s pause it would write ~55
 * messages a minute and have its own answers dropped, which is the flood case, not the victim's.
 * After a flood the bench waits (up to BENCH_DRAIN_SECONDS) until every flooder event is either
 * answered or counted as limited, so flooderAnswered is complete when `drained` is true.
 *
 * Prints one JSON line on stdout and asserts nothing; progress goes to stderr. Knobs: BENCH_SECONDS
 * (60), BENCH_FLOOD_RATE (20), BENCH_GRAPH_LATENCY_MS (20), BENCH_PARTITIONS (4),
 * BENCH_VICTIM_PAUSE_MS (2500), BENCH_DRAIN_SECONDS (60), BENCH_PHASES
 * (baseline,flood,floodNoLimit), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { join } from 'node:path';
import { textMessageBody } from '../src/cli/sendEvent';
import { startFakeGraphApi, type FakeCall, type FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { partitionOf } from '../src/store/partitionOf';
import { spawnService, type SpawnedService } from '../tests/support/spawnService';
import { TEST_PAGE, TEST_SECRET, testEnv } from '../tests/support/testEnv';
import { get, keepAlive, postSigned } from '../tests/support/webhookClient';
import { percentile } from './loadgen';
import { deletePrefix, openRedis, stopProcess } from './processes';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 20);
const GRAPH_LATENCY_MS = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 20);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const VICTIM_PAUSE_MS = Number(process.env.BENCH_VICTIM_PAUSE_MS ?? 2500);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 60);
const PHASES = (process.env.BENCH_PHASES ?? 'baseline,flood,floodNoLimit').split(',').map((p) => p.trim());
const KNOWN_PHASES = ['baseline', 'flood', 'floodNoLimit'];
/** A victim's reply slower than this is counted as missing (and its sample is the timeout). */
const REPLY_TIMEOUT_MS = 180_000;
const FLOWS_DIR = join(__dirname, '..', '..', 'flows'); // dist/bench → the repo root

/**
 * What the users say, and the start of the menu's text: the last (for "menu" the only) message of
 * the bot's answer to either, so counting it counts answered events, one per event.
 */
const FLOOD_TEXT = 'hello';
const VICTIM_TEXT = 'menu';
const MENU_REPLY = 'Pick one';

const log = (msg: string) => process.stderr.write(`[bench:fairness] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;

function latencyFigures(samples: readonly number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = Float64Array.from(samples).sort();
  return {
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(percentile(sorted, 100)),
  };
}

/** The text of a Send API message call, if it has one. */
function messageText(call: FakeCall): string | undefined {
  const body = call.body as { message?: { text?: unknown } } | undefined;
  return typeof body?.message?.text === 'string' ? body.message.text : undefined;
}

/** A counter's value from the Prometheus text (summed over its labels). */
async function metric(port: number, name: string): Promise<number> {
  const res = await get(port, '/metrics');
  let sum = 0;
  for (const line of res.body.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Two PSIDs in the same partition (the flooder's chosen to share the victim's). */
function pickUsers(tag: string): { victim: string; flooder: string; partition: number } {
  const victim = `victim-${tag}`;
  const partition = partitionOf(TEST_PAGE, victim, PARTITIONS);
  for (let i = 0; ; i++) {
    const flooder = `flooder-${tag}-${i}`;
    if (partitionOf(TEST_PAGE, flooder, PARTITIONS) === partition) return { victim, flooder, partition };
  }
}

interface VictimResult {
  victimReplies: number;
  victimTimeouts: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface FloodResult extends VictimResult {
  flooderMessages: number;
  flooderRefused: number;
  flooderAnsweredInPhase: number;
  flooderAnswered: number;
  limitedEvents: number;
  drained: boolean;
  drainSeconds: number;
  acksP50Ms: number;
  acksP99Ms: number;
}

/** One running service with its own key prefix, users and view of the fake's calls. */
class Session {
  readonly prefix = `bench-fair-${randomUUID().slice(0, 8)}`;
  readonly users = pickUsers(this.prefix.slice(-8));
  private readonly agent: Agent = keepAlive(64);
  private readonly victimReplyTimes: number[] = [];
  private flooderAnswers = 0;
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private seq = 0;
  service: SpawnedService | undefined;

  constructor(
    private readonly fake: FakeGraphApi,
    private readonly extraEnv: Record<string, string>,
  ) {
    this.unsubscribe = fake.onCall((call) => {
      if (call.endpoint !== 'messages' || call.status !== 200) return;
      if (!messageText(call)?.startsWith(MENU_REPLY)) return;
      if (call.recipientId === this.users.victim) {
        this.victimReplyTimes.push(call.at);
        for (const w of this.waiters) w();
      } else if (call.recipientId === this.users.flooder) {
        this.flooderAnswers += 1;
      }
    });
  }

  async start(): Promise<void> {
    this.service = await spawnService(
      testEnv({
        ROLE: 'all',
        REDIS_URL,
        REDIS_KEY_PREFIX: this.prefix,
        INBOX_PARTITIONS: String(PARTITIONS),
        GRAPH_API_URL: this.fake.url,
        FLOWS_DIR,
        LOG_LEVEL: 'warn',
        ...this.extraEnv,
      }),
    );
  }

  get port(): number {
    if (!this.service) throw new Error('service not started');
    return this.service.port;
  }

  /** POSTs one signed text message; resolves with the status and the ack latency. */
  async say(psid: string, text: string): Promise<{ status: number; ackMs: number }> {
    const mid = `m_${this.prefix}_${this.seq++}`;
    const started = performance.now();
    const res = await postSigned(this.port, textMessageBody(TEST_PAGE, psid, text, Date.now(), mid), this.agent).catch(() => ({
      status: 0,
    }));
    return { status: res.status, ackMs: performance.now() - started };
  }

  /** The arrival time of the victim's n-th reply (1-based), or undefined after the timeout. */
  async victimReply(n: number, timeoutMs = REPLY_TIMEOUT_MS): Promise<number | undefined> {
    if (this.victimReplyTimes.length >= n) return this.victimReplyTimes[n - 1];
    return new Promise((resolve) => {
      const done = () => {
        if (this.victimReplyTimes.length < n) return;
        this.waiters.delete(done);
        clearTimeout(timer);
        resolve(this.victimReplyTimes[n - 1]);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  get flooderAnswered(): number {
    return this.flooderAnswers;
  }

  /** Each user's first message (new user: profile lookup, welcome) happens outside the figures. */
  async warmUp(): Promise<void> {
    const before = this.victimReplyTimes.length;
    await this.say(this.users.victim, VICTIM_TEXT);
    if ((await this.victimReply(before + 1, 60_000)) === undefined) throw new Error('the victim got no reply in warm-up');
    const answered = this.flooderAnswers;
    await this.say(this.users.flooder, FLOOD_TEXT);
    const deadline = Date.now() + 60_000;
    while (this.flooderAnswers === answered) {
      if (Date.now() > deadline) throw new Error('the flooder got no reply in warm-up');
      await sleep(20);
    }
    await sleep(VICTIM_PAUSE_MS);
  }

  /**
   * The victim talks until `endAt`: "menu", wait for the reply, pause, again. Replies are matched
   * by count (one reply per "menu", in order), so a late reply never passes for the next one's.
   */
  async victim(endAt: number, acks: number[]): Promise<VictimResult> {
    const samples: number[] = [];
    let timeouts = 0;
    let expected = this.victimReplyTimes.length;
    const phaseStart = Date.now();
    while (Date.now() < endAt) {
      const sentAt = Date.now();
      const { status, ackMs } = await this.say(this.users.victim, VICTIM_TEXT);
      acks.push(ackMs);
      if (status !== 200) {
        log(`victim post answered ${status}`);
        await sleep(VICTIM_PAUSE_MS);
        continue;
      }
      expected += 1;
      const at = await this.victimReply(expected);
      if (at === undefined) {
        timeouts += 1;
        samples.push(REPLY_TIMEOUT_MS);
      } else samples.push(at - sentAt);
      const last = samples.at(-1) ?? 0;
      if (last > 1000)
        log(`victim waited ${Math.round(last)} ms for the reply to a message sent ${round1((sentAt - phaseStart) / 1000)} s in`);
      await sleep(VICTIM_PAUSE_MS);
    }
    return { victimReplies: samples.length - timeouts, victimTimeouts: timeouts, ...latencyFigures(samples) };
  }

  /** The flooder posts FLOOD_RATE messages a second until `endAt` (rate × seconds), paced by the clock. */
  async flooder(endAt: number, acks: number[]): Promise<{ sent: number; refused: number }> {
    const interval = 1000 / FLOOD_RATE;
    const startedAt = performance.now();
    const inFlight: Array<Promise<void>> = [];
    let sent = 0;
    let refused = 0;
    const total = Math.round(((endAt - Date.now()) / 1000) * FLOOD_RATE);
    while (sent < total) {
      const due = startedAt + sent * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sent += 1;
      inFlight.push(
        this.say(this.users.flooder, FLOOD_TEXT).then(({ status, ackMs }) => {
          acks.push(ackMs);
          if (status !== 200) refused += 1;
        }),
      );
    }
    await Promise.all(inFlight);
    return { sent, refused };
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    this.agent.destroy();
    if (this.service) await stopProcess(this.service.proc, this.service.exited());
    const redis = await openRedis(REDIS_URL);
    await deletePrefix(redis, this.prefix);
    await redis.quit();
  }
}

async function baselinePhase(s: Session): Promise<VictimResult> {
  log(`baseline: the victim alone for ${SECONDS} s`);
  const result = await s.victim(Date.now() + SECONDS * 1000, []);
  log(`baseline: ${JSON.stringify(result)}`);
  return result;
}

async function floodPhase(s: Session, name: string): Promise<FloodResult> {
  log(`${name}: ${FLOOD_RATE} msg/s from ${s.users.flooder} for ${SECONDS} s, victim ${s.users.victim}`);
  const limitedBefore = await metric(s.port, 'talkshop_user_replies_limited_total');
  const answeredBefore = s.flooderAnswered;
  const endAt = Date.now() + SECONDS * 1000;
  const acks: number[] = [];
  const [victim, flood] = await Promise.all([s.victim(endAt, acks), s.flooder(endAt, acks)]);
  const phaseEnd = Date.now();
  const answeredInPhase = s.flooderAnswered - answeredBefore;

  // Drain: every acknowledged flooder event is either answered or counted as limited.
  const accepted = flood.sent - flood.refused;
  let limited: number;
  let drained = false;
  const drainDeadline = phaseEnd + DRAIN_SECONDS * 1000;
  for (;;) {
    limited = (await metric(s.port, 'talkshop_user_replies_limited_total')) - limitedBefore;
    if (s.flooderAnswered - answeredBefore + limited >= accepted) {
      drained = true;
      break;
    }
    if (Date.now() > drainDeadline) break;
    await sleep(500);
  }
  const result: FloodResult = {
    ...victim,
    flooderMessages: flood.sent,
    flooderRefused: flood.refused,
    flooderAnsweredInPhase: answeredInPhase,
    flooderAnswered: s.flooderAnswered - answeredBefore,
    limitedEvents: limited,
    drained,
    drainSeconds: round1((Date.now() - phaseEnd) / 1000),
    ...(({ p50Ms, p99Ms }) => ({ acksP50Ms: p50Ms, acksP99Ms: p99Ms }))(latencyFigures(acks)),
  };
  log(`${name}: ${JSON.stringify(result)}`);
  return result;
}

async function withSession<T>(fake: FakeGraphApi, env: Record<string, string>, run: (s: Session) => Promise<T>): Promise<T> {
  const s = new Session(fake, env);
  try {
    await s.start();
    log(`service up (prefix ${s.prefix}, victim and flooder in partition ${s.users.partition} of ${PARTITIONS})`);
    await s.warmUp();
    return await run(s);
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  const unknown = PHASES.filter((p) => !KNOWN_PHASES.includes(p));
  if (unknown.length > 0) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')} (known: ${KNOWN_PHASES.join(', ')})`);
  const fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    appId: 'test-app',
    maxRecordedCalls: 0, // the bench listens with onCall; nothing needs the record
  });
  fake.fail.latency(GRAPH_LATENCY_MS);
  const out: Record<string, unknown> = {
    bench: 'fairness',
    seconds: SECONDS,
    floodRate: FLOOD_RATE,
    graphLatencyMs: GRAPH_LATENCY_MS,
    partitions: PARTITIONS,
    victimPauseMs: VICTIM_PAUSE_MS,
  };
  try {
    if (PHASES.includes('baseline') || PHASES.includes('flood')) {
      await withSession(fake, {}, async (s) => {
        if (PHASES.includes('baseline')) out.baseline = await baselinePhase(s);
        if (PHASES.includes('flood')) out.flood = await floodPhase(s, 'flood');
      });
    }
    if (PHASES.includes('floodNoLimit')) {
      out.floodNoLimit = await withSession(fake, { USER_REPLIES_PER_MINUTE: '0' }, (s) => floodPhase(s, 'floodNoLimit'));
    }
  } finally {
    await fake.stop();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
