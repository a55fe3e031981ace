/**
 * The load generator: a worker thread that keeps N keep-alive connections busy, one request in
 * flight per connection, for a fixed time, and records each request's latency.
 *
 * Why a hand-written generator on raw sockets rather than autocannon or node:http's client: on
 * this 2-core machine the generator shares the CPUs with the server under test (and Redis), so
 * every microsecond it spends per request is taken from the server. Here a request is a slice of
 * a pre-built buffer (body, both HMAC signatures and headers computed before the clock starts)
 * written to a socket, and a response is read with an indexOf and a header regex, so the
 * generator costs far less per request than node:http's client (agents, header objects, streams)
 * and needs no new dependency. It speaks just the HTTP/1.1 this bench needs: responses framed by
 * Content-Length or chunked encoding, and `Connection: close` honoured by reconnecting. The same
 * generator, with the same payloads, drives every target.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { RequestPool, requestBytes, type PayloadSpec } from './payloads';

export interface PhaseOptions {
  readonly port: number;
  readonly connections: number;
  readonly durationMs: number;
}

export interface PhaseResult {
  /** Responses received (any status). */
  readonly requests: number;
  /** 200 responses: for Talkshop, events durably stored. */
  readonly ok: number;
  readonly statuses: Record<string, number>;
  /** Socket errors / connections lost with a request in flight. */
  readonly errors: number;
  /** From the first request written to the last response read. */
  readonly elapsedMs: number;
  /** Wall-clock (epoch ms) of the first request written and of the last response read. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Every request's latency in ms, sorted (transferred, not copied, from the thread). */
  readonly latencies: Float64Array;
  /** 200 responses in each second of the run (to see warm-up or degradation). */
  readonly perSecond: number[];
  /** Requests built on the fly because the pre-built pool ran out (should be 0). */
  readonly builtLive: number;
  /** Sample of a non-200 response body, to explain a rejection. */
  readonly sampleError?: string;
}

type ToWorker = { type: 'build'; spec: PayloadSpec; firstSeq: number; count: number } | { type: 'run'; options: PhaseOptions };
type FromWorker =
  { type: 'built'; count: number; ms: number } | { type: 'done'; result: PhaseResult } | { type: 'error'; message: string };

/** Main-thread handle on the generator thread. */
export class LoadGenerator {
  private readonly worker = new Worker(join(__dirname, 'loadgen.js'));

  private call(message: ToWorker): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromWorker) => {
        this.worker.off('error', reject);
        if (m.type === 'error') reject(new Error(`load generator: ${m.message}`));
        else resolve(m);
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', reject);
      this.worker.postMessage(message);
    });
  }

  /** Pre-builds `count` requests with sequence numbers from `firstSeq` (replaces the pool). */
  async build(spec: PayloadSpec, firstSeq: number, count: number): Promise<number> {
    const m = await this.call({ type: 'build', spec, firstSeq, count });
    return m.type === 'built' ? m.ms : 0;
  }

  /** Runs the pool's requests against a port for a fixed time. */
  async run(options: PhaseOptions): Promise<PhaseResult> {
    const m = await this.call({ type: 'run', options });
    if (m.type !== 'done') throw new Error('load generator answered out of turn');
    return m.result;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------- worker thread side

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/i;
const CLOSE = /\r\nconnection:[ \t]*close/i;

interface Parsed {
  readonly status: number;
  readonly end: number;
  readonly close: boolean;
  readonly body: Buffer;
}

/** End of a chunked body starting at `from`, or -1 while incomplete. */
function chunkedEnd(buf: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol === -1) return -1;
    const size = parseInt(buf.toString('latin1', at, eol).split(';', 1)[0] ?? '', 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (size === 0) {
      // No trailers expected: the last chunk is followed by one empty line.
      const fin = buf.indexOf('\r\n', eol + 2, 'latin1');
      return fin === -1 ? -1 : fin + 2;
    }
    at = eol + 2 + size + 2;
    if (at > buf.length) return -1;
  }
}

/** One complete response at the start of `buf`, or null while it is incomplete. */
function parseResponse(buf: Buffer): Parsed | null {
  const headEnd = buf.indexOf(HEADER_END);
  if (headEnd === -1) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const bodyStart = headEnd + 4;
  let end: number;
  const length = CONTENT_LENGTH.exec(head);
  if (length) end = bodyStart + Number(length[1]);
  else if (CHUNKED.test(head)) end = chunkedEnd(buf, bodyStart);
  else if (status === 204 || status === 304) end = bodyStart;
  else throw new Error(`response without framing: ${head.slice(0, 200)}`);
  if (end === -1 || end > buf.length) return null;
  return { status, end, close: CLOSE.test(head), body: buf.subarray(bodyStart, end) };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

let spec: PayloadSpec | undefined;
let pool: RequestPool | undefined;
let poolFirstSeq = 0;
let nextIndex = 0;
let liveSeq = 0;

function nextRequest(counters: { builtLive: number }): Buffer {
  if (pool && nextIndex < pool.size) return pool.get(nextIndex++);
  counters.builtLive++;
  return requestBytes(spec as PayloadSpec, liveSeq++, Date.now());
}

function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  return new Promise((resolve) => {
    const counters = { builtLive: 0 };
    let latencies = new Float64Array(Math.max(1024, pool ? pool.size - nextIndex : 0));
    let count = 0;
    let ok = 0;
    let errors = 0;
    const statuses: Record<string, number> = {};
    let sampleError: string | undefined;
    let open = 0;
    let first = 0;
    let last = 0;
    let deadline = Infinity;
    const perSecond: number[] = [];

    const finishIfIdle = () => {
      if (open > 0) return;
      const sorted = latencies.slice(0, count).sort();
      let sum = 0;
      for (let i = 0; i < count; i++) sum += sorted[i] ?? 0;
      resolve({
        requests: count,
        ok,
        statuses,
        errors,
        elapsedMs: round(last - first),
        startedAt: performance.timeOrigin + first,
        endedAt: performance.timeOrigin + last,
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(percentile(sorted, 100)),
        meanMs: round(count ? sum / count : 0),
        latencies: sorted,
        perSecond,
        builtLive: counters.builtLive,
        ...(sampleError === undefined ? {} : { sampleError }),
      });
    };

    const record = (status: number, ms: number, body: Buffer) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = ms;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) {
        ok++;
        const second = Math.floor((last - first) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
      } else sampleError ??= `${status} ${body.toString('utf8', 0, Math.min(body.length, 300))}`;
    };

    const openConnection = () => {
      open++;
      const socket: Socket = connect({ host: '127.0.0.1', port: o.port, noDelay: true });
      let pending: Buffer | null = null;
      let sentAt = 0;
      let inFlight = false;
      let closed = false;

      const send = () => {
        if (performance.now() >= deadline) {
          closed = true;
          socket.end();
          return;
        }
        sentAt = performance.now();
        if (first === 0) first = sentAt;
        inFlight = true;
        socket.write(nextRequest(counters));
      };

      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        pending = pending ? Buffer.concat([pending, chunk]) : chunk;
        let parsed: Parsed | null;
        try {
          parsed = parseResponse(pending);
        } catch (err) {
          sampleError ??= String(err);
          socket.destroy(); // counted as an error by the close handler (a request is in flight)
          return;
        }
        if (!parsed) return;
        const now = performance.now();
        last = now;
        inFlight = false;
        record(parsed.status, now - sentAt, parsed.body);
        pending = parsed.end < pending.length ? pending.subarray(parsed.end) : null;
        if (parsed.close) {
          closed = true;
          socket.destroy();
          if (performance.now() < deadline) openConnection();
        } else send();
      });
      socket.on('error', (err) => {
        sampleError ??= `socket: ${err.message}`;
      });
      socket.on('close', () => {
        open--;
        if (inFlight) errors++;
        if (!closed && performance.now() < deadline) {
          // The server dropped an idle or failed connection mid-run: replace it.
          open++;
          setTimeout(() => {
            open--;
            openConnection();
          }, 10);
          return;
        }
        finishIfIdle();
      });
    };

    deadline = performance.now() + o.durationMs;
    for (let i = 0; i < o.connections; i++) openConnection();
  });
}

function handle(message: ToWorker): Promise<FromWorker> | FromWorker {
  if (message.type === 'build') {
    const started = performance.now();
    spec = message.spec;
    pool = RequestPool.build(message.spec, message.firstSeq, message.count);
    poolFirstSeq = message.firstSeq;
    nextIndex = 0;
    // Requests built live (pool exhausted) get sequence numbers far past any pool's.
    liveSeq = Math.max(liveSeq, poolFirstSeq + 10_000_000);
    return { type: 'built', count: message.count, ms: round(performance.now() - started) };
  }
  return runPhase(message.options).then((result) => ({ type: 'done', result }) as FromWorker);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', (message: ToWorker) => {
    Promise.resolve()
      .then(() => handle(message))
      .then(
        (reply) => port.postMessage(reply, reply.type === 'done' ? [reply.result.latencies.buffer as ArrayBuffer] : []),
        (err: unknown) =>
          port.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
}
