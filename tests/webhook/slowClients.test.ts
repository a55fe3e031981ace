/**
 * Slow or idle clients cannot hold the HTTP server: headers must arrive within
 * HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS, at most
 * HTTP_MAX_CONNECTIONS are open at once, and an unsigned webhook POST is refused before its body.
 *
 * Every wait is on an event of the socket (its close, its first answer byte); the timings are
 * asserted only from below (not cut before the timeout) and against a generous ceiling far under
 * Node's defaults (60 s for headers, 300 s for a request), so a loaded machine stays green.
 */
import { connect, type Socket } from 'node:net';
import { startService, WEBHOOK_PATH, type RunningService } from '../../src/server';
import { testConfig } from '../support/testEnv';
import { get } from '../support/webhookClient';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 4;
const BODY_LIMIT = 1024 * 1024;
/** Far below Node's defaults, far above the settings: a cut-off that happens at all happens by then. */
const CEILING_MS = 15_000;

const config = testConfig({
  REDIS_URL: undefined,
  HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
  HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT),
});
let service: RunningService;
const open: Socket[] = [];

beforeAll(async () => {
  service = await startService(config);
});
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});
afterAll(async () => {
  await service?.stop();
});

function dial(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(service.port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
    open.push(socket);
  });
}

/** Resolves with what the server sent, once it closed the connection (or failed after the ceiling). */
function closed(socket: Socket): Promise<{ ms: number; received: string }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => undefined); // a reset is a close too
  return new Promise((resolve, reject) => {
    const ceiling = setTimeout(() => reject(new Error(`still open after ${CEILING_MS} ms`)), CEILING_MS);
    socket.once('close', () => {
      clearTimeout(ceiling);
      resolve({ ms: performance.now() - started, received });
    });
  });
}

/** Writes `chunk` every `everyMs` until the socket closes: a client that is always almost done. */
function trickle(socket: Socket, chunk: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

describe('slow clients are cut off', () => {
  it(`headers sent a byte at a time are cut off after HTTP_HEADERS_TIMEOUT_MS (${HEADERS_TIMEOUT_MS} ms)`, async () => {
    const socket = await dial();
    const done = closed(socket);
    socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n`);
    trickle(socket, 'X', 50); // one header line that never ends
    const { ms, received } = await done;
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  }, 30_000);

  it(`a signed webhook body sent a byte at a time is cut off after HTTP_REQUEST_TIMEOUT_MS (${REQUEST_TIMEOUT_MS} ms)`, async () => {
    const socket = await dial();
    const done = closed(socket);
    socket.write(
      `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n` +
        `X-Hub-Signature-256: sha256=${'0'.repeat(64)}\r\n\r\n{`,
    );
    trickle(socket, ' ', 50);
    const { ms, received } = await done;
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
  }, 30_000);

  it(`no more than HTTP_MAX_CONNECTIONS (${MAX_CONNECTIONS}) connections are open at once`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => dial()));
    // Each held connection is answered once (and kept alive), so the server has surely counted it.
    await Promise.all(held.map((s) => firstAnswer(s, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')));
    const extra = await dial();
    const { received } = await closed(extra);
    expect(received).toBe('');
    for (const s of held) s.destroy();
    // Once they are gone, new connections are served again.
    await waitForHealthy();
  }, 30_000);
});

/** Sends `request` and resolves with the status line of the first answer. */
function firstAnswer(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
    });
    socket.once('close', () => reject(new Error(`closed before an answer: ${JSON.stringify(text)}`)));
    socket.write(request);
  });
}

async function waitForHealthy(): Promise<void> {
  const deadline = Date.now() + CEILING_MS;
  for (;;) {
    const ok = await get(service.port, '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the server did not serve /healthz again');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('an unsigned webhook POST is refused before its body is read', () => {
  it(`403 arrives with only a few bytes of a declared ${BODY_LIMIT}-byte body sent`, async () => {
    const socket = await dial();
    const done = closed(socket);
    const answered = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve(text);
      });
    });
    socket.write(
      `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY_LIMIT}\r\n\r\n{"object":`,
    );
    // Nothing more is sent: an answer can only come from the headers.
    const head = await Promise.race([
      answered,
      done.then(({ received }) => (received.includes('\r\n\r\n') ? received : `closed without an answer: ${received}`)),
    ]);
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    expect(head.toLowerCase()).toContain('connection: close');
    // And the server hangs up rather than wait for (or read) the rest.
    await done;
  }, 30_000);
});
