/**
 * Send benchmark (issue #4): sends/s to the fake Graph API with 0 ms and 100 ms simulated Graph
 * latency, unthrottled (SEND_RATE_PER_SEC 10,000, SEND_BURST 1,000), and the worker's peak RSS.
 *
 * Driven through the real path: signed webhook POSTs → ROLE=web process → Redis inbox → ROLE=worker
 * process (flow engine → outbox → sender) → the fake Graph API, which runs in this process. Per
 * latency: a fresh key prefix; the web process starts and takes every event first (distinct users
 * each saying "menu": one mark_seen + one typing_on + one reply each with the shipped flows); then
 * the worker starts, drains the inboxes and sends. sends/s = reply (/messages) calls between the
 * first and the last one at the fake; graph calls/s counts sender actions too. Graph calls per
 * inbound message and per message sent are split by kind (messages, sender actions, and profile
 * lookups apart: every user here is new to the service) and count every call the worker made,
 * whatever its answer. Peak RSS is the worker's VmHWM from /proc just before it is stopped.
 *
 * Prints one JSON line on stdout; progress goes to stderr. Knobs: BENCH_SENDS_FAST (default
 * 6000), BENCH_SENDS_SLOW (default 480), BENCH_PARTITIONS (16), REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { textMessageBody } from '../src/cli/sendEvent';
import { startFakeGraphApi } from '../src/emulator/fakeGraphApi';
import { spawnService } from '../tests/support/spawnService';
import { TEST_PAGE, TEST_SECRET, testEnv } from '../tests/support/testEnv';
import { keepAlive, postSigned } from '../tests/support/webhookClient';
import { callsPerMessage, GraphCallTally, type GraphCallFigures } from './graphCallTally';
import { deletePrefix, openRedis, processCpuSeconds, stopProcess } from './processes';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 16);
const log = (msg: string) => process.stderr.write(`[bench:send] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Peak resident set size (VmHWM) of a process, in MB, from /proc (Linux). */
function peakRssMb(pid: number | undefined): number {
  try {
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

interface RunResult {
  readonly latencyMs: number;
  readonly sends: number;
  readonly seconds: number;
  readonly sendsPerSec: number;
  readonly graphCallsPerSec: number;
  readonly workerCpuSeconds: number;
  readonly workerPeakRssMb: number;
  readonly graphCallsPer: ReturnType<typeof callsPerMessage>;
  readonly calls: Omit<GraphCallFigures, 'firstMessageAt' | 'lastMessageAt'>;
}

async function run(latencyMs: number, sends: number): Promise<RunResult> {
  const prefix = `bench-send-${randomUUID().slice(0, 8)}`;
  const fake = await startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    appId: 'test-app',
    maxRecordedCalls: 4 * sends + 1000,
  });
  fake.fail.latency(latencyMs);
  const env = testEnv({
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    INBOX_PARTITIONS: String(PARTITIONS),
    GRAPH_API_URL: fake.url,
    SEND_RATE_PER_SEC: '10000',
    SEND_BURST: '1000',
    LOG_LEVEL: 'warn',
  });
  const procs: Array<Awaited<ReturnType<typeof spawnService>>> = [];
  const tally = new GraphCallTally(fake);
  try {
    const web = await spawnService({ ...env, ROLE: 'web' });
    procs.push(web);
    const agent = keepAlive(32);
    let next = 0;
    let refused = 0;
    const lane = async () => {
      while (next < sends) {
        const u = next++;
        const res = await postSigned(
          web.port,
          textMessageBody(TEST_PAGE, `bs-u${u}`, 'menu', Date.now(), `m_${prefix}_${u}`),
          agent,
        ).catch(() => ({ status: 0 }));
        if (res.status !== 200) refused += 1;
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    agent.destroy();
    if (refused > 0) throw new Error(`${refused} webhook posts refused`);
    log(`latency ${latencyMs} ms: ${sends} events stored; starting the worker`);

    const worker = await spawnService({ ...env, ROLE: 'worker' });
    procs.push(worker);
    const cpuBefore = processCpuSeconds(worker.proc.pid);
    const replies = () => fake.calls.filter((c) => c.endpoint === 'messages' && c.status === 200);
    const deadline = Date.now() + 120_000;
    let lastLog = Date.now();
    while (replies().length < sends) {
      if (Date.now() > deadline) throw new Error(`only ${replies().length}/${sends} replies after 120 s`);
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`latency ${latencyMs} ms: ${replies().length}/${sends} replies`);
      }
      await sleep(50);
    }
    const at = replies().map((c) => c.at);
    const first = Math.min(...at);
    const last = Math.max(...at);
    const seconds = (last - first) / 1000;
    const graphCalls = fake.calls.filter((c) => c.at >= first && c.at <= last && c.status === 200).length;
    const { firstMessageAt: _first, lastMessageAt: _last, ...calls } = tally.figures();
    const result: RunResult = {
      latencyMs,
      sends,
      seconds: Math.round(seconds * 100) / 100,
      sendsPerSec: Math.round((sends - 1) / seconds),
      graphCallsPerSec: Math.round(graphCalls / seconds),
      workerCpuSeconds: Math.round((processCpuSeconds(worker.proc.pid) - cpuBefore) * 100) / 100,
      workerPeakRssMb: peakRssMb(worker.proc.pid),
      graphCallsPer: callsPerMessage(tally.figures(), sends),
      calls,
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    tally.close();
    for (const p of procs.reverse()) await stopProcess(p.proc, p.exited());
    await fake.stop();
    const redis = await openRedis(REDIS_URL);
    await deletePrefix(redis, prefix);
    await redis.quit();
  }
}

async function main(): Promise<void> {
  const fast = await run(0, Number(process.env.BENCH_SENDS_FAST ?? 6000));
  const slow = await run(100, Number(process.env.BENCH_SENDS_SLOW ?? 480));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'send',
      path: 'webhook → web process → Redis inbox → worker (engine → outbox → sender) → fake Graph API',
      partitions: PARTITIONS,
      throttle: 'off (SEND_RATE_PER_SEC 10000, SEND_BURST 1000)',
      sendsPerSec: { latency0ms: fast.sendsPerSec, latency100ms: slow.sendsPerSec },
      graphCallsPerSec: { latency0ms: fast.graphCallsPerSec, latency100ms: slow.graphCallsPerSec },
      graphCallsPerInbound: { latency0ms: fast.graphCallsPer.perInbound, latency100ms: slow.graphCallsPer.perInbound },
      graphCallsPerMessageSent: {
        latency0ms: fast.graphCallsPer.perMessageSent,
        latency100ms: slow.graphCallsPer.perMessageSent,
      },
      workerPeakRssMb: Math.max(fast.workerPeakRssMb, slow.workerPeakRssMb),
      runs: [fast, slow],
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
