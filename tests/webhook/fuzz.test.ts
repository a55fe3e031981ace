/**
 * Invariant: bad input gets a clear answer and changes nothing.
 *
 * Correctly signed garbage must be answered 4xx (or 200 when it happens to be a well-formed
 * envelope with nothing routable in it) — never 5xx, never a dropped connection — and a 4xx
 * answer must not have put anything into the inbox. Unsigned or wrongly signed bodies are 403
 * and append nothing, whatever they contain. The service must still be healthy afterwards.
 */
import fc from 'fast-check';
import { textMessageBody } from '../../src/cli/sendEvent';
import type { Handler } from '../../src/runtime/handler';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, WEBHOOK_PATH, type RunningService } from '../../src/server';
import { signBody } from '../../src/webhook/verifySignature';
import { recordingHandler } from '../support/recordingHandler';
import { TEST_PAGE, TEST_SECRET, testConfig } from '../support/testEnv';
import { get, post, postSigned, waitFor, type HttpResult } from '../support/webhookClient';

const PARTITIONS = 16;
const BODY_LIMIT = 1024 * 1024;
const config = testConfig({
  REDIS_URL: undefined,
  INBOX_PARTITIONS: String(PARTITIONS),
  WEBHOOK_BODY_LIMIT_BYTES: String(BODY_LIMIT),
});
const { handler, seen } = recordingHandler();
let service: RunningService;

beforeAll(async () => {
  service = await startService(config, { handler: handler as Handler<unknown> });
  expect(service.store.kind).toBe('memory');
});
afterAll(async () => {
  await service?.stop();
});

/** Sum of talkshop_webhook_events_received_total over all label sets. */
async function receivedTotal(): Promise<number> {
  const text = (await get(service.port, '/metrics')).body;
  return text
    .split('\n')
    .filter((l) => l.startsWith('talkshop_webhook_events_received_total{'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function pendingTotal(): Promise<number> {
  const counts = await service.store.inbox.pendingCounts(Array.from({ length: PARTITIONS }, (_, p) => p));
  return counts.reduce((a, b) => a + b, 0);
}

/** Each partition's applied-up-to id: it moves whenever anything is appended and applied. */
const cursors = () => Promise.all(Array.from({ length: PARTITIONS }, (_, p) => service.store.inbox.cursor(p)));

const describeBody = (body: Buffer | string): string => {
  const s = typeof body === 'string' ? body : body.toString('latin1');
  return s.length > 160 ? `${s.slice(0, 80)}…(${s.length} chars)…${s.slice(-40)}` : s;
};

/**
 * POSTs a signed body and checks the answer is a clear one: 200, or a 4xx with a message, and
 * that a 4xx did not count any event as received. Returns the answer for further checks.
 */
let lastReceived: number | undefined;
async function expectClearAnswer(body: Buffer | string): Promise<HttpResult> {
  // Requests here are sequential and only the webhook moves this counter, so the figure read
  // after the previous request is the figure before this one.
  const before = lastReceived ?? (await receivedTotal());
  lastReceived = undefined;
  let res: HttpResult;
  try {
    res = await postSigned(service.port, body);
  } catch (err) {
    throw new Error(`connection error (${(err as Error).message}) for body ${describeBody(body)}`, { cause: err });
  }
  const ok = res.status === 200 || (res.status >= 400 && res.status < 500);
  if (!ok) throw new Error(`answered ${res.status} ${JSON.stringify(res.body)} for body ${describeBody(body)}`);
  const after = await receivedTotal();
  if (res.status !== 200) {
    expect(res.body.length).toBeGreaterThan(0);
    expect(after).toBe(before);
  }
  lastReceived = after;
  return res;
}

// ---- arbitraries -----------------------------------------------------------------------------

/** Any JSON-ish value, including strings with lone surrogates and numbers of every kind. */
const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant({}),
  fc.constant([]),
);
const idLike = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.constant(TEST_PAGE), weird);
const timeLike = fc.oneof(fc.integer(), fc.nat().map(String), fc.double(), fc.string({ maxLength: 8 }), weird);
const party = fc.oneof(weird, fc.record({ id: idLike, user_ref: idLike }, { requiredKeys: [] }));
const event = fc.oneof(
  weird,
  fc.record(
    {
      sender: party,
      recipient: party,
      timestamp: timeLike,
      message: fc.oneof(
        weird,
        fc.record(
          { mid: fc.oneof(fc.string({ maxLength: 10 }), weird), text: weird, is_echo: weird, quick_reply: weird },
          { requiredKeys: [] },
        ),
      ),
      postback: fc.oneof(weird, fc.record({ mid: weird, payload: weird }, { requiredKeys: [] })),
      read: weird,
      delivery: weird,
      reaction: weird,
      optin: weird,
      referral: weird,
      pass_thread_control: weird,
    },
    { requiredKeys: [] },
  ),
);
const entry = fc.oneof(
  weird,
  fc.record(
    {
      id: idLike,
      time: timeLike,
      messaging: fc.oneof(weird, fc.array(event, { maxLength: 4 })),
      standby: fc.oneof(weird, fc.array(event, { maxLength: 3 })),
    },
    { requiredKeys: [] },
  ),
);
const envelope = fc.record(
  {
    object: fc.oneof(fc.constant('page'), fc.constant('page'), weird),
    entry: fc.oneof(weird, fc.array(entry, { maxLength: 4 })),
  },
  { requiredKeys: ['object'] },
);

/** Byte sequences that are never valid UTF-8 (stray continuation, overlong, surrogate, > U+10FFFF, truncated). */
const invalidUtf8 = fc.constantFrom(
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xc3, 0x28],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
);

// ---- signed garbage --------------------------------------------------------------------------

describe('signed garbage gets 4xx or 200, never 5xx', () => {
  it('random JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const res = await expectClearAnswer(JSON.stringify(value));
        // Only a JSON object can be an envelope; anything else is a client error.
        if (value === null || typeof value !== 'object' || Array.isArray(value)) expect(res.status).toBe(400);
      }),
      { numRuns: 150 },
    );
  });

  it('random JSON text (fc.json)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.json(), async (text) => {
        await expectClearAnswer(text);
      }),
      { numRuns: 100 },
    );
  });

  it('webhook-shaped envelopes with random and wrongly typed fields', async () => {
    await fc.assert(
      fc.asyncProperty(envelope, async (value) => {
        await expectClearAnswer(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('object "page" with entry of any type', async () => {
    await fc.assert(
      fc.asyncProperty(weird, async (entryValue) => {
        const res = await expectClearAnswer(JSON.stringify({ object: 'page', entry: entryValue }));
        if (!Array.isArray(entryValue)) expect(res.status).toBe(400);
      }),
      { numRuns: 100 },
    );
  });

  it('numbers where strings are expected and strings where numbers are expected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer(), fc.double(), fc.constant(1e308), fc.constant(-0), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
        fc.oneof(fc.string({ maxLength: 6 }), fc.constant('1e3'), fc.constant('-1'), fc.constant('')),
        async (num, str) => {
          const body = {
            object: 'page',
            entry: [
              {
                id: num,
                time: str,
                messaging: [
                  { sender: { id: num }, recipient: { id: num }, timestamp: str, message: { mid: num, text: num, is_echo: str } },
                ],
              },
            ],
          };
          await expectClearAnswer(JSON.stringify(body));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('invalid UTF-8 anywhere in an otherwise valid message → 400', async () => {
    const base = Buffer.from(textMessageBody(TEST_PAGE, 'utf8-user', 'hello there', 1_700_000_000_000, 'm_fuzz_utf8'));
    await fc.assert(
      fc.asyncProperty(invalidUtf8, fc.nat({ max: base.length }), async (bad, at) => {
        const body = Buffer.concat([base.subarray(0, at), Buffer.from(bad), base.subarray(at)]);
        const res = await expectClearAnswer(body);
        expect(res.status).toBe(400);
      }),
      { numRuns: 100 },
    );
  });

  it('raw random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
        await expectClearAnswer(Buffer.from(bytes));
      }),
      { numRuns: 150 },
    );
  });
});

describe('pathological sizes and shapes, signed', () => {
  const nest = (depth: number, inner = '0') => '['.repeat(depth) + inner + ']'.repeat(depth);
  const nestObj = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const inEvent = (event: string) => `{"object":"page","entry":[{"id":"${TEST_PAGE}","time":1,"messaging":[${event}]}]}`;

  it.each([
    ['10,000 nested arrays as the body', nest(10_000)],
    ['100,000 nested arrays as the body', nest(100_000)],
    ['10,000 nested objects as the body', nestObj(10_000)],
    ['10,000 nested arrays as entry', `{"object":"page","entry":${nest(10_000)}}`],
    ['10,000 nested arrays as an entry id', `{"object":"page","entry":[{"id":${nest(10_000)}}]}`],
    ['10,000 nested arrays as a messaging item', inEvent(nest(10_000))],
    ['10,000 nested arrays as a sender', inEvent(`{"sender":${nest(10_000)},"message":{"mid":"m_deep_sender"}}`)],
    // Routable events carrying a deep value: they must be stored (200) or refused with a 4xx.
    [
      'a read receipt (no mid) whose payload nests 10,000 arrays',
      inEvent(`{"sender":{"id":"deep-1"},"timestamp":5,"read":${nest(10_000)}}`),
    ],
    [
      'a message with a mid whose extra field nests 10,000 arrays',
      inEvent(`{"sender":{"id":"deep-2"},"timestamp":5,"message":{"mid":"m_deep_2","x":${nest(10_000)}}}`),
    ],
    [
      'a message with a mid whose extra field nests 10,000 objects',
      inEvent(`{"sender":{"id":"deep-3"},"timestamp":5,"message":{"mid":"m_deep_3","x":${nestObj(10_000)}}}`),
    ],
  ])('%s', async (_what, body) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(BODY_LIMIT);
    await expectClearAnswer(body);
  });

  const many = (n: number, item: string) => Array.from({ length: n }, () => item).join(',');
  it.each([
    ['a 100,000-element array as the body', `[${many(100_000, '0')}]`],
    ['100,000 empty entries', `{"object":"page","entry":[${many(100_000, '{}')}]}`],
    ['100,000 numbers as messaging items', inEvent(many(100_000, '0'))],
    ['100,000 empty objects as messaging items', inEvent(many(100_000, '{}'))],
    ['20,000 copies of one read receipt', inEvent(many(20_000, '{"sender":{"id":"dup-reader"},"read":{}}'))],
    [
      'a 100,000-element array inside a message',
      inEvent(`{"sender":{"id":"wide-1"},"message":{"mid":"m_wide_1","x":[${many(100_000, '1')}]}}`),
    ],
  ])('%s', async (_what, body) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(BODY_LIMIT);
    await expectClearAnswer(body);
  });
});

// ---- unsigned or wrongly signed --------------------------------------------------------------

describe('unsigned or wrongly signed garbage', () => {
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
    envelope.map((v) => Buffer.from(JSON.stringify(v))),
    // Well-formed events that would be stored if they were signed.
    fc
      .uuid()
      .map((u) => Buffer.from(textMessageBody(TEST_PAGE, `unsigned-${u.slice(0, 6)}`, 'hi', Date.now(), `m_unsigned_${u}`))),
  );
  const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
  const badHeaders = (body: Buffer) =>
    fc.oneof(
      fc.constant<Record<string, string>>({}),
      fc.constant({ 'x-hub-signature-256': '' }),
      fc.constant({ 'x-hub-signature-256': signBody(body, 'wrong-secret') }),
      fc.constant({ 'x-hub-signature-256': signBody(body, TEST_SECRET).replace('sha256=', 'sha1=') }),
      fc.constant({ 'x-hub-signature-256': signBody(body, TEST_SECRET).slice(0, -1) }),
      fc.constant({ 'x-hub-signature-256': `${signBody(body, TEST_SECRET)}0` }),
      fc.constant({ 'x-hub-signature-256': signBody(Buffer.concat([body, Buffer.from(' ')]), TEST_SECRET) }),
      fc.constant({ 'x-hub-signature': signBody(body, TEST_SECRET) }),
      hex64.filter((h) => `sha256=${h}` !== signBody(body, TEST_SECRET)).map((h) => ({ 'x-hub-signature-256': `sha256=${h}` })),
      fc.string({ maxLength: 80 }).map((s) => ({ 'x-hub-signature-256': s.replace(/[^\x20-\x7e]/g, '') })),
    );

  it('→ 403 and nothing appended', async () => {
    // Let the worker finish whatever earlier suites stored, so the counts below stand still.
    await waitFor('an empty inbox', async () => ((await pendingTotal()) === 0 ? true : undefined));
    const receivedBefore = await receivedTotal();
    const pendingBefore = await pendingTotal();
    const cursorsBefore = await cursors();
    const appliedBefore = seen.length;
    await fc.assert(
      fc.asyncProperty(
        bodies.chain((body) => badHeaders(body).map((headers) => ({ body, headers }))),
        async ({ body, headers }) => {
          const res = await post(service.port, WEBHOOK_PATH, body, { 'content-type': 'application/json', ...headers });
          expect(res.status).toBe(403);
        },
      ),
      { numRuns: 200 },
    );
    expect(await receivedTotal()).toBe(receivedBefore);
    // Nothing appended: nothing waiting in an inbox, and no cursor moved (so nothing was appended
    // and applied in the meantime either). No need to give the worker time to find anything.
    expect(await pendingTotal()).toBe(pendingBefore);
    expect(await cursors()).toEqual(cursorsBefore);
    expect(seen.length).toBe(appliedBefore);
    expect((await get(service.port, '/metrics')).body).toMatch(
      /talkshop_webhook_requests_rejected_total\{reason="bad_signature"\} \d+/,
    );
  });
});

describe('afterwards', () => {
  it('the service is healthy and still stores and applies a good event', async () => {
    expect((await get(service.port, '/healthz')).status).toBe(200);
    expect((await get(service.port, '/readyz')).status).toBe(200);
    const res = await postSigned(
      service.port,
      textMessageBody(TEST_PAGE, 'after-fuzz', 'still here', Date.now(), 'm_after_fuzz'),
    );
    expect(res).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
    const p = partitionOf(TEST_PAGE, 'after-fuzz', PARTITIONS);
    const state = await waitFor('the good event applied', async () => {
      const s = await service.store.states.load(p, userKeyOf(TEST_PAGE, 'after-fuzz'));
      return s.version === 1 ? s : undefined;
    });
    expect(state.data).toMatchObject({ inbound: 1 });
  });
});
