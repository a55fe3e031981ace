/**
 * Page benchmark (issue #16): many customers writing at once to one Page that Meta holds to 300
 * Send API calls a second (sender actions count; 10 for audio and video).
 *
 * The real service runs as one ROLE=all child process (Redis, a fresh key prefix per phase, the
 * shipped flows, SEND_RATE_PER_SEC and SEND_BURST at their defaults) against the fake Graph API in
 * this process, which enforces that rate (sendRateLimit: a call past it is answered 613) and answers
 * after BENCH_GRAPH_LATENCY_MS. Phases, on a fresh service each, in one run so they compare:
 *
 * - single: BENCH_USERS new users each post one signed "hello" at once (the shop flow's welcome and
 *   its menu: two messages);
 * - burst: BENCH_USERS other new users each write BENCH_BURST_MESSAGES texts in a row ("hello",
 *   then "menu"s, one message each), to show what the sender makes of a burst (mark_seen per burst).
 *
 * The posts go over BENCH_CONNECTIONS keep-alive connections; a user's texts go in order on one
 * connection, each after the previous was acknowledged, as Meta delivers them. A user is answered
 * when the fake has accepted all the messages the flows send them; their reply latency runs from
 * their first webhook POST to that last message's arrival at the fake. Profile lookups are not
 * pre-cached: a new user costs one, and it is reported apart from the Send API calls.
 *
 * Each phase says which of #16's goals it met (goalMet: ≥ 250 messages delivered a second, ≤ 1.2
 * Send API calls per message sent, no 613, every user answered); profile lookups are counted apart.
 *
 * Prints one JSON line on stdout and asserts nothing; progress goes to stderr. Knobs: BENCH_USERS
 * (2000), BENCH_GRAPH_LATENCY_MS (20), BENCH_CONNECTIONS (64), BENCH_BURST_MESSAGES (3),
 * BENCH_PHASES (single,burst), BENCH_PARTITIONS (the service's default), BENCH_TIMEOUT_SECONDS
 * (600), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { textMessageBody } from '../src/cli/sendEvent';
import { loadConfig } from '../src/config/config';
import { startFakeGraphApi, type FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { spawnService } from '../tests/support/spawnService';
import { TEST_PAGE, TEST_SECRET, testEnv } from '../tests/support/testEnv';
import { keepAlive, postSigned } from '../tests/support/webhookClient';
import { callsPerMessage, GraphCallTally } from './graphCallTally';
import { percentile } from './loadgen';
import { benchCommit, deletePrefix, openRedis, processCpuSeconds, stopProcess } from './processes';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = Number(process.env.BENCH_USERS ?? 2000);
const GRAPH_LATENCY_MS = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const BURST_MESSAGES = Number(process.env.BENCH_BURST_MESSAGES ?? 3);
const PHASES = (process.env.BENCH_PHASES ?? 'single,burst').split(',').map((p) => p.trim());
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600) * 1000;
const FLOWS_DIR = join(__dirname, '..', '..', 'flows'); // dist/bench → the repo root
/** Issue #16's acceptance figures, which each phase is checked against (reported, never asserted). */
const GOAL = { deliveredPerSec: 250, sendApiCallsPerMessage: 1.2 } as const;
/** Meta's Send API rate per Page (docs/messenger-platform.md §6.1). */
const PAGE_RATE = { calls: 300, windowMs: 1000, mediaCalls: 10 } as const;

/**
 * What each user says and how many messages the shipped flows answer: "hello" from a new user is
 * the shop flow's welcome and then its menu (2), "menu" is the menu alone (1).
 */
const SCRIPTS: Readonly<Record<string, { readonly texts: readonly string[]; readonly replies: number }>> = {
  single: { texts: ['hello'], replies: 2 },
  burst: { texts: ['hello', ...Array<string>(Math.max(0, BURST_MESSAGES - 1)).fill('menu')], replies: 1 + BURST_MESSAGES },
};

const log = (msg: string) => process.stderr.write(`[bench:page] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The service's settings as it will parse them (its defaults where the bench sets nothing). */
function serviceEnv(prefix: string, fakeUrl: string): Record<string, string | undefined> {
  return testEnv({
    ROLE: 'all',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    INBOX_PARTITIONS: process.env.BENCH_PARTITIONS, // undefined: the service's default
    GRAPH_API_URL: fakeUrl,
    FLOWS_DIR,
    LOG_LEVEL: 'warn',
  });
}

/** Each user's replies so far, first-POST time and the time they got their last expected message. */
class Users {
  readonly replies = new Map<string, number>();
  readonly startedAt = new Map<string, number>();
  readonly doneAt = new Map<string, number>();
  readonly unreachable = new Set<string>();
  overAnswered = 0;
  constructor(private readonly expected: number) {}
  message(psid: string, at: number): void {
    if (!this.startedAt.has(psid)) return; // not this phase's user
    const n = (this.replies.get(psid) ?? 0) + 1;
    this.replies.set(psid, n);
    if (n === this.expected) this.doneAt.set(psid, at);
    if (n === this.expected + 1) this.overAnswered += 1;
  }
}

/** Webhook posts answered other than 200, by status (0: the connection failed), and those never stored. */
interface PostOutcome {
  readonly retried: Record<string, number>;
  lost: number;
}

/**
 * Each user's texts, in order on one connection. A post answered other than 200 is posted again
 * (up to 3 times, as Meta redelivers; the service drops a repeated mid), so a reset keep-alive
 * socket does not leave a user unanswered; what it took is reported.
 */
async function postAll(port: number, tag: string, texts: readonly string[], users: Users): Promise<PostOutcome> {
  const agent = keepAlive(CONNECTIONS);
  const outcome: PostOutcome = { retried: {}, lost: 0 };
  let next = 0;
  const post = async (body: string): Promise<boolean> => {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const res = await postSigned(port, body, agent).catch(() => ({ status: 0 }));
      if (res.status === 200) return true;
      outcome.retried[res.status] = (outcome.retried[res.status] ?? 0) + 1;
    }
    outcome.lost += 1;
    return false;
  };
  const lane = async () => {
    while (next < USERS) {
      const u = next++;
      const psid = `${tag}-u${u}`;
      users.startedAt.set(psid, Date.now());
      for (const [i, text] of texts.entries()) {
        const stored = await post(textMessageBody(TEST_PAGE, psid, text, Date.now(), `m_${tag}_${u}_${i}`));
        // A user with a text never stored cannot get every answer: left out of the wait.
        if (!stored) users.unreachable.add(psid);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  agent.destroy();
  return outcome;
}

async function phase(fake: FakeGraphApi, name: string): Promise<Record<string, unknown>> {
  const script = SCRIPTS[name];
  if (script === undefined) throw new Error(`BENCH_PHASES: unknown ${name} (known: ${Object.keys(SCRIPTS).join(', ')})`);
  const prefix = `bench-page-${randomUUID().slice(0, 8)}`;
  const service = await spawnService(serviceEnv(prefix, fake.url));
  const users = new Users(script.replies);
  const messageTimes: number[] = [];
  const tally = new GraphCallTally(fake, (psid, at) => {
    messageTimes.push(at);
    users.message(psid, at);
  });
  try {
    const cpuBefore = processCpuSeconds(service.proc.pid);
    const started = Date.now();
    log(`${name}: ${USERS} users × ${script.texts.length} (${script.texts.join(', ')}), ${script.replies} replies each`);
    const posts = await postAll(service.port, prefix.slice(-8), script.texts, users);
    const posted = Date.now();
    log(`${name}: posted in ${round1((posted - started) / 1000)} s (${JSON.stringify(posts)})`);
    let lastLog = Date.now();
    while (users.doneAt.size < USERS - users.unreachable.size && Date.now() - started < TIMEOUT_MS) {
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        const f = tally.figures();
        log(
          `${name}: ${users.doneAt.size}/${USERS} users answered, ${f.messagesSent} messages, ${f.sendApiCalls} Send API calls`,
        );
      }
      await sleep(50);
    }
    const cpu = processCpuSeconds(service.proc.pid) - cpuBefore;
    const f = tally.figures();
    const latencies = Float64Array.from([...users.doneAt].map(([psid, at]) => at - (users.startedAt.get(psid) ?? at))).sort();
    const deliverySeconds = (f.lastMessageAt - f.firstMessageAt) / 1000;
    const deliveredPerSec = deliverySeconds > 0 ? Math.round((f.messagesSent - 1) / deliverySeconds) : 0;
    const perMessage = callsPerMessage(f, USERS * script.texts.length);
    const result = {
      users: USERS,
      textsPerUser: script.texts.length,
      inbound: USERS * script.texts.length,
      webhookPostsRetried: posts.retried,
      webhookPostsLost: posts.lost,
      postSeconds: round2((posted - started) / 1000),
      usersAnswered: users.doneAt.size,
      usersWithTextsLost: users.unreachable.size,
      usersOverAnswered: users.overAnswered,
      allAnsweredSeconds:
        users.doneAt.size === USERS - users.unreachable.size && users.doneAt.size > 0
          ? round2((Math.max(...users.doneAt.values()) - started) / 1000)
          : null,
      deliveredPerSec,
      replyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(percentile(latencies, 100)),
      },
      ...perMessage,
      calls: f,
      serviceCpuSeconds: round2(cpu),
      // Where the time went: messages the fake accepted in each second from the first POST.
      messagesPerSecond: perSecond(messageTimes, started),
      goalMet: {
        deliveredPerSec: deliveredPerSec >= GOAL.deliveredPerSec,
        sendApiCallsPerMessage: f.messagesSent > 0 && perMessage.perMessageSent.sendApi <= GOAL.sendApiCallsPerMessage,
        no613: f.rateLimitAnswers['613'] === 0,
        everyUserAnswered: users.doneAt.size === USERS,
      },
    };
    log(`${name}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    tally.close();
    await stopProcess(service.proc, service.exited());
    const redis = await openRedis(REDIS_URL);
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}

/** How many of `times` fall in each whole second after `from`. */
function perSecond(times: readonly number[], from: number): number[] {
  const out: number[] = [];
  for (const t of times) {
    const s = Math.max(0, Math.floor((t - from) / 1000));
    while (out.length <= s) out.push(0);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

async function main(): Promise<void> {
  const defaults = loadConfig(serviceEnv('bench-page-defaults', 'http://127.0.0.1:9'));
  const fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    appId: 'test-app',
    maxRecordedCalls: 0, // tallied as they arrive (GraphCallTally)
    sendRateLimit: PAGE_RATE,
  });
  fake.fail.latency(GRAPH_LATENCY_MS);
  const out: Record<string, unknown> = {
    bench: 'page',
    commit: benchCommit(),
    users: USERS,
    graphLatencyMs: GRAPH_LATENCY_MS,
    connections: CONNECTIONS,
    pageRate: PAGE_RATE,
    service: {
      SEND_RATE_PER_SEC: defaults.SEND_RATE_PER_SEC,
      SEND_BURST: defaults.SEND_BURST,
      SEND_MEDIA_RATE_PER_SEC: defaults.SEND_MEDIA_RATE_PER_SEC,
      INBOX_PARTITIONS: defaults.INBOX_PARTITIONS,
    },
  };
  try {
    for (const name of PHASES) out[name] = await phase(fake, name);
  } finally {
    await fake.stop();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
