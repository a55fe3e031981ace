/**
 * The admin listener's hardening (issue 15, finding 4): authentication before any byte of the
 * body, JSON for every error (never express's HTML page with a stack trace), roles, a throttle on
 * failed tokens, and one audit line per admin action that never holds a token or a reply text.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createAdminApp } from '../../src/admin/adminApp';
import { textMessageBody } from '../../src/cli/sendEvent';
import { StoreUnavailableError } from '../../src/errors';
import { createMetrics } from '../../src/metrics';
import type { Store } from '../../src/store/ports';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const OPERATOR = 'operator-token-0123456789ab';
const TOKENS = `anna:agent:${AGENT},mark:marketer:${MARKETER},olga:operator:${OPERATOR}`;
const REPLY = 'Hi, this is Anna from Northwind: your order ships today.';

/** Every log line the service writes, parsed. */
const logLines: Array<Record<string, unknown>> = [];
let rawLog = '';
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    rawLog += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
let service: RunningService;

beforeAll(async () => {
  // A request timeout far beyond the test's own: a connection the server did not close itself
  // would stay open until the test fails, instead of being cut by the timeout and passing.
  const config = testConfig({ REDIS_URL: undefined, ADMIN_TOKENS: TOKENS, ADMIN_PORT: '0', HTTP_REQUEST_TIMEOUT_MS: '120000' });
  service = await startService(config, {
    logger: pino({ level: 'info' }, sink),
  });
});
afterAll(async () => {
  await service.stop();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * One request over node:http (fetch cannot send a bad charset or a body the server refuses early).
 * `from` picks the client's loopback address, so throttling tests do not lock out the others.
 */
function call(
  method: string,
  path: string,
  options: { token?: string; body?: Buffer | string; contentType?: string; from?: string; port?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: options.port ?? service.adminPort, path, method, headers, localAddress: options.from },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    // The server may answer (and close) before it has read the body; that answer is what counts.
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A JSON answer with none of express's HTML error page, stack frames or file paths. */
function expectCleanJson(a: Answer, status: number): Record<string, unknown> {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/^application\/json/);
  expect(a.body).not.toMatch(/<html|<pre>|\n\s+at |\/work\/|node_modules|\.ts:\d|\.js:\d/i);
  return JSON.parse(a.body) as Record<string, unknown>;
}

const auditLines = () => logLines.filter((l) => l.audit === true);

const BAD_SHAPES: ReadonlyArray<[string, { body: Buffer | string; contentType?: string }]> = [
  ['bad JSON', { body: '{"text":' }],
  ['a bad charset', { body: '{"text":"hi"}', contentType: 'application/json; charset=koi8-x' }],
  ['a 70 KB body', { body: JSON.stringify({ text: 'x'.repeat(70 * 1024) }) }],
  ['a 1 MB body', { body: Buffer.alloc(1024 * 1024, 'a') }],
];

describe('unauthenticated requests of every shape', () => {
  // Each from its own address, so these failures do not add up to the throttle's limit.
  it.each(BAD_SHAPES)('%s without a token gets a JSON 401, no stack trace', async (what, shape) => {
    const from = `127.0.1.${BAD_SHAPES.findIndex(([w]) => w === what) + 1}`;
    const a = await call('POST', '/admin/users/someone/messages', { ...shape, from }).catch((err: Error) => {
      throw new Error(`no answer, only ${err.message}`);
    });
    expect(expectCleanJson(a, 401)).toMatchObject({ error: 'unauthorized' });
    expect(a.headers.connection).toBe('close');
  });

  it('with a wrong token too (bad charset), and an unknown path gets 401 before 404', async () => {
    const shape = BAD_SHAPES[1]![1];
    const from = '127.0.1.10';
    expectCleanJson(
      await call('POST', '/admin/users/someone/messages', { ...shape, token: 'not-a-token-0123456789', from }),
      401,
    );
    expectCleanJson(await call('GET', '/admin/secrets', { from }), 401);
  });

  it('401 arrives while only a few bytes of a declared 1 MB body were sent, and the connection is closed', async () => {
    const socket = connect({ port: service.adminPort!, host: '127.0.0.1', localAddress: '127.0.1.11' });
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close too
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /admin/users/someone/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n{"text":`,
    );
    // Nothing more is sent: an answer can only come from the headers, and the server hangs up.
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 401 /);
    expect(received.toLowerCase()).toContain('connection: close');
  }, 30_000);
});

describe('authenticated bad requests', () => {
  it('bad JSON → 400, bad charset → 415, too large → 413, each JSON without internals', async () => {
    const post = (shape: { body: string; contentType?: string }) =>
      call('POST', '/admin/users/someone/messages', { ...shape, token: OPERATOR });
    expect(expectCleanJson(await post({ body: '{"text":' }), 400)).toMatchObject({ error: 'bad_request', field: 'body' });
    expect(
      expectCleanJson(await post({ body: '{"text":"hi"}', contentType: 'application/json; charset=koi8-x' }), 415),
    ).toMatchObject({
      error: 'unsupported_charset',
    });
    expect(expectCleanJson(await post({ body: JSON.stringify({ text: 'x'.repeat(70 * 1024) }) }), 413)).toMatchObject({
      error: 'payload_too_large',
    });
    expect(expectCleanJson(await call('GET', '/admin/nothing-here', { token: OPERATOR }), 404)).toMatchObject({
      error: 'not_found',
    });
  });
});

describe('roles', () => {
  it('an agent lists threads and replies; a marketer reads a user but may not list threads, pause or reply as the Page', async () => {
    expect((await call('GET', '/admin/threads', { token: AGENT })).status).toBe(200);
    expect((await call('GET', '/admin/users/nobody', { token: MARKETER })).status).toBe(404); // allowed, no such user
    const listed = expectCleanJson(await call('GET', '/admin/threads', { token: MARKETER }), 403);
    expect(listed).toMatchObject({ error: 'forbidden', needs: ['agent', 'operator'] });
    expect(listed.message).toContain('"mark" has the role marketer');
    expectCleanJson(await call('POST', '/admin/users/nobody/pause', { token: MARKETER }), 403);
    // Refused on the role before the body is read: bad JSON does not even get a 400.
    expectCleanJson(await call('POST', '/admin/users/nobody/messages', { token: MARKETER, body: '{"text":' }), 403);
    expect((await call('GET', '/admin/threads', { token: OPERATOR })).status).toBe(200);
  });
});

describe('throttling failed tokens', () => {
  it('the 11th failure within a minute from one address gets 429 with Retry-After; other addresses are not affected', async () => {
    const from = '127.0.0.7';
    for (let i = 1; i <= 10; i++)
      expect((await call('GET', '/admin/threads', { token: `wrong-token-${i}-0123456789`, from })).status).toBe(401);
    const limited = await call('GET', '/admin/threads', { token: 'wrong-token-11-0123456789', from });
    expect(expectCleanJson(limited, 429)).toMatchObject({ error: 'too_many_failures' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Locked out even with a good token (else the lock-out would still answer "right or wrong").
    expect((await call('GET', '/admin/threads', { token: AGENT, from })).status).toBe(429);
    expect((await call('GET', '/admin/threads', { token: AGENT, from: '127.0.0.8' })).status).toBe(200);
    const metrics = (await call('GET', '/metrics')).body;
    expect(metrics).toMatch(/talkshop_admin_auth_failures_total\{reason="invalid"\} \d+/);
    expect(metrics).toContain('talkshop_admin_auth_failures_total{reason="throttled"} 2');
  });
});

describe('the audit trail', () => {
  it('one line per admin action with token name, role, action, psid and status; never a token or the reply text', async () => {
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'aud1', 'hello', Date.now(), 'm_audit_1'));
    await waitFor('aud1 known', async () =>
      (await call('GET', '/admin/users/aud1', { token: OPERATOR })).status === 200 ? true : undefined,
    );
    const before = auditLines().length;
    const steps: Array<[string, string, { token?: string; body?: string }, number]> = [
      ['POST', '/admin/users/aud1/pause', { token: AGENT }, 202],
      ['POST', '/admin/users/aud1/messages', { token: AGENT, body: JSON.stringify({ text: REPLY }) }, 202],
      ['POST', '/admin/users/aud1/resume', { token: OPERATOR }, 202],
      ['GET', '/admin/users/aud1', { token: MARKETER }, 200],
      ['GET', '/admin/threads', { token: AGENT }, 200], // a list of waiting threads: not audited
      ['POST', '/admin/users/aud1/pause', { token: MARKETER }, 403],
      ['POST', '/admin/users/aud1/pause', { token: 'nobody-token-0123456789' }, 401],
    ];
    for (const [method, path, options, status] of steps)
      expect((await call(method, path, { ...options, from: '127.0.0.9' })).status).toBe(status);
    // Each line is written when its answer is finished, which the client may see a moment earlier.
    const lines = await waitFor('six audit lines', () =>
      auditLines().length >= before + 6 ? auditLines().slice(before) : undefined,
    );
    const pick = (l: Record<string, unknown>) => [l.token, l.role, l.action, l.psid, l.status];
    expect(lines.map(pick)).toEqual([
      ['anna', 'agent', 'pause', 'aud1', 202],
      ['anna', 'agent', 'reply', 'aud1', 202],
      ['olga', 'operator', 'resume', 'aud1', 202],
      ['mark', 'marketer', 'readUser', 'aud1', 200],
      ['mark', 'marketer', 'pause', 'aud1', 403],
      [null, null, 'pause', 'aud1', 401],
    ]);
    expect(lines[1]).toMatchObject({ textLength: REPLY.length, address: '127.0.0.9' });
    expect(new Set(lines.map((l) => l.requestId)).size).toBe(6);
    for (const secret of [AGENT, MARKETER, OPERATOR, 'nobody-token-0123456789', REPLY]) expect(rawLog).not.toContain(secret);
  });
});

describe('the public listener', () => {
  it('has no admin API: /admin there is a JSON 404 even with a good token', async () => {
    const a = await call('GET', '/admin/threads', { token: OPERATOR, port: service.port });
    expect(expectCleanJson(a, 404)).toMatchObject({ error: 'not_found' });
  });
});

describe('a fault of ours', () => {
  it('is a JSON 500 with a request id (the error is in the log under that id); a store timeout is a 503', async () => {
    const failing = (err: Error) => ({ states: { load: () => Promise.reject(err) } }) as unknown as Store;
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString())), done()) }),
    );
    const boot = (store: Store) => {
      const app = createAdminApp({
        store,
        tokens: [{ name: 'olga', role: 'operator', token: OPERATOR }],
        pageId: TEST_PAGE,
        partitions: 1,
        now: Date.now,
        logger,
        metrics: createMetrics(),
      });
      return new Promise<ReturnType<typeof app.listen>>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
    };
    const broken = await boot(failing(new Error('boom in /work/main/src/somewhere.ts:1')));
    const slow = await boot(failing(new StoreUnavailableError('state load')));
    try {
      const port = (s: typeof broken) => (s.address() as AddressInfo).port;
      const a = await call('GET', '/admin/users/u1', { token: OPERATOR, port: port(broken) });
      const body = expectCleanJson(a, 500);
      expect(body).toMatchObject({ error: 'internal', requestId: a.headers['x-request-id'] });
      expect(a.body).not.toContain('boom');
      expect(lines.find((l) => l.msg === 'admin request failed')).toMatchObject({
        requestId: body.requestId,
        err: { message: expect.stringContaining('boom') },
      });
      expect(expectCleanJson(await call('GET', '/admin/users/u1', { token: OPERATOR, port: port(slow) }), 503)).toMatchObject({
        error: 'store_unavailable',
      });
    } finally {
      broken.close();
      slow.close();
    }
  });
});
