import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { startFakeGraphApi, type FakeGraphApi, type FakeGraphApiOptions } from '../../src/emulator/fakeGraphApi';

/**
 * The fake holding a Page to Meta's per-Page rates, spoken to over HTTP: the Send API's 300 calls
 * per second (messages and sender actions alike) and 10 for audio and video, answered 613 past
 * them, and the Page's Messenger API budget, answered 32. The clock is the fake's injected one: the
 * window slides when the test moves it, never with real time.
 */

const SECRET = 'rate-test-secret';
const TOKEN = 'EAArate-test-token';
const PAGE = '4242';
const PROOF = createHmac('sha256', SECRET).update(TOKEN).digest('hex');

let clock = 5_000_000;
const fakes: FakeGraphApi[] = [];

async function start(options: Partial<FakeGraphApiOptions>): Promise<FakeGraphApi> {
  const fake = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE, now: () => clock, ...options });
  fakes.push(fake);
  return fake;
}
afterAll(async () => {
  for (const f of fakes) await f.stop();
});

const envelopeSchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.number(), fbtrace_id: z.string() }),
});

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

async function call(fake: FakeGraphApi, method: string, path: string, body?: unknown, query: Record<string, string> = {}) {
  const q = new URLSearchParams({ ...query, appsecret_proof: PROOF });
  const res = await fetch(`${fake.url}${path}?${q.toString()}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as unknown } satisfies Answer;
}

const text = (psid: string) => ({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
const action = (psid: string, a = 'typing_on') => ({ recipient: { id: psid }, sender_action: a });
const media = (psid: string, type: 'audio' | 'video' | 'image') => ({
  recipient: { id: psid },
  messaging_type: 'RESPONSE',
  message: { attachment: { type, payload: { url: `https://cdn.example.com/clip.${type}` } } },
});
const send = (fake: FakeGraphApi, body: unknown) => call(fake, 'POST', '/v26.0/me/messages', body);

/** `n` Send API calls one after another, alternating messages and sender actions; their statuses. */
async function sends(fake: FakeGraphApi, n: number, tag: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 1)
    statuses.push((await send(fake, i % 3 === 0 ? action(`${tag}${i}`) : text(`${tag}${i}`))).status);
  return statuses;
}

function expectCode(a: Answer, code: number, message: string): void {
  expect(a.status).toBe(400);
  const { error } = envelopeSchema.parse(a.json);
  expect(error.code).toBe(code);
  expect(error.message).toBe(message);
  expect(error.type).toBe('OAuthException');
}
const RATE_MESSAGE = '(#613) Calls to this API have exceeded the rate limit.';

describe('Send API rate per Page (sendRateLimit)', () => {
  it('serves 300 calls in a window, messages and sender actions alike; the 301st is answered 613 and recorded', async () => {
    const fake = await start({ sendRateLimit: { calls: 300, windowMs: 1000 } });
    const statuses = await sends(fake, 300, 'a');
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const refused = await send(fake, text('late'));
    expectCode(refused, 613, RATE_MESSAGE);
    expectCode(await send(fake, action('late', 'mark_seen')), 613, RATE_MESSAGE);
    const last = fake.calls.at(-2);
    expect(last).toMatchObject({ endpoint: 'messages', recipientId: 'late', status: 400, at: clock });
    expect(fake.calls.at(-1)).toMatchObject({ endpoint: 'sender_action', status: 400 });
    expect(fake.sentMessages('late')).toEqual([]);
    // Other Graph calls are not the Send API: a profile lookup still answers.
    expect((await call(fake, 'GET', '/v26.0/late', undefined, { fields: 'first_name' })).status).toBe(200);
  });

  it('the window slides: calls leave it windowMs after they arrived, refused ones never entered it', async () => {
    const fake = await start({ sendRateLimit: { calls: 300, windowMs: 1000 } });
    const t0 = (clock += 1_000_000);
    expect((await sends(fake, 150, 'b')).every((s) => s === 200)).toBe(true);
    clock = t0 + 500;
    expect((await sends(fake, 150, 'c')).every((s) => s === 200)).toBe(true);
    clock = t0 + 999;
    expectCode(await send(fake, text('d')), 613, RATE_MESSAGE);
    // At t0 + 1000 the first 150 have left the window (the refusal at 999 took no place in it).
    clock = t0 + 1000;
    expect((await sends(fake, 150, 'e')).every((s) => s === 200)).toBe(true);
    expectCode(await send(fake, text('f')), 613, RATE_MESSAGE);
    clock = t0 + 1500;
    expect((await send(fake, text('g'))).status).toBe(200);
  });

  it('audio and video go in their own lane of 10 per window; images and text do not count there', async () => {
    const fake = await start({ sendRateLimit: { calls: 300, windowMs: 1000 } });
    clock += 1_000_000;
    for (let i = 0; i < 10; i += 1) expect((await send(fake, media(`m${i}`, i % 2 === 0 ? 'audio' : 'video'))).status).toBe(200);
    expectCode(await send(fake, media('m10', 'video')), 613, RATE_MESSAGE);
    expect((await send(fake, media('img', 'image'))).status).toBe(200);
    expect((await sends(fake, 299, 'h')).every((s) => s === 200)).toBe(true);
    expectCode(await send(fake, text('full')), 613, RATE_MESSAGE);
    clock += 1000;
    expect((await send(fake, media('m11', 'audio'))).status).toBe(200);
    // A full text lane leaves the media lane alone, and the other way round.
    expect((await sends(fake, 300, 'i')).every((s) => s === 200)).toBe(true);
    expect((await send(fake, media('m12', 'audio'))).status).toBe(200);
  });

  it('mediaCalls sets the media lane; reset empties the windows', async () => {
    const fake = await start({ sendRateLimit: { calls: 5, windowMs: 1000, mediaCalls: 2 } });
    clock += 1_000_000;
    expect((await send(fake, media('x1', 'audio'))).status).toBe(200);
    expect((await send(fake, media('x2', 'audio'))).status).toBe(200);
    expectCode(await send(fake, media('x3', 'audio')), 613, RATE_MESSAGE);
    expect(await sends(fake, 6, 'j')).toEqual([200, 200, 200, 200, 200, 400]);
    fake.reset();
    expect((await send(fake, media('x4', 'audio'))).status).toBe(200);
    expect((await send(fake, text('k'))).status).toBe(200);
  });

  it('is off by default: 400 calls in the same millisecond all pass', async () => {
    const fake = await start({});
    clock += 1_000_000;
    expect((await sends(fake, 400, 'l')).filter((s) => s !== 200)).toEqual([]);
  });
});

describe("the Page's Messenger API budget (pageCallBudget)", () => {
  it('counts every Messenger Platform call and answers 32 past it', async () => {
    const fake = await start({ pageCallBudget: { calls: 4, windowMs: 60_000 } });
    const t0 = (clock += 1_000_000);
    expect((await send(fake, text('p'))).status).toBe(200);
    expect((await send(fake, action('p', 'mark_seen'))).status).toBe(200);
    expect((await call(fake, 'GET', '/v26.0/p', undefined, { fields: 'first_name' })).status).toBe(200);
    expect((await call(fake, 'GET', '/v26.0/me/thread_owner', undefined, { recipient: 'p' })).status).toBe(200);
    const refused = await call(fake, 'GET', '/v26.0/q', undefined, { fields: 'first_name' });
    expectCode(refused, 32, '(#32) Page request limit reached');
    expectCode(await send(fake, text('q')), 32, '(#32) Page request limit reached');
    expect(fake.calls.at(-1)).toMatchObject({ endpoint: 'messages', status: 400 });
    clock = t0 + 60_000;
    expect((await send(fake, text('q'))).status).toBe(200);
  });
});
