/**
 * Issue #19 item 2, end to end on the production path: signed webhook → inbox on Redis → worker →
 * outbox → the sender hands the classify_question entry to FlowRequests → a fake OpenAI-compatible
 * endpoint on 127.0.0.1 → the choice back through the user's inbox → the question's answer (or the
 * fallback) → the fake Graph API. The model only ever chooses; every odd answer is the fallback.
 * Every wait is on a condition; the slow model is held until the test releases it.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startFakeLlmApi, type FakeLlmApi, type FakeLlmReply } from '../../src/emulator/fakeLlmApi';
import { startService, type RunningService } from '../../src/server';
import { flowsDir, lastSaidIs, loopbackSettings, sentTexts } from '../support/loopbackFlows';
import { deletePrefix } from '../support/redisKeys';
import { storeDump } from '../support/storeDump';
import { TEST_PAGE, TEST_SECRET, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

const KEY = 'sk-test-question-model-key-5d1e0c';
const ADMIN_TOKEN = 'admin-token-questions-0123456789';
const WELCOME = 'Hi! Ask me about shipping or returns.';
const RETURNS = 'Returns are free within 30 days.';
const FALLBACK = 'Sorry, I can help with shipping and returns.';

const FLOW = `
id: help
start: welcome
questions:
  - id: returns
    phrasings: ["What is your return policy?", "How do I return an item?"]
    goto: returns
  - id: shipping
    phrasings: ["How much is shipping?", "Do you ship internationally?"]
    goto: shipping
nodes:
  welcome:
    say:
      - text: "${WELCOME}"
    end: true
  returns:
    say:
      - text: "${RETURNS}"
    end: true
  shipping:
    say:
      - text: "Shipping is free over $50."
    end: true
fallback:
  text: "${FALLBACK}"
  escalate_after: 9
`;

/** What the fake model says, by a word in the customer's text. */
function chooser(user: string): FakeLlmReply {
  const t = user.toLowerCase();
  if (t.includes('send them back')) return { kind: 'content', content: 'returns' };
  if (t.includes('weather')) return { kind: 'content', content: 'none' };
  if (t.includes('cake')) return { kind: 'content', content: 'cakes' };
  if (t.includes('story')) return { kind: 'content', content: 'Sure! Returns are free for 90 days, no questions asked.' };
  if (t.includes('slowly')) return { kind: 'hold' };
  if (t.includes('broken')) return { kind: 'status', status: 500 };
  if (t.includes('gibberish')) return { kind: 'garbage' };
  return { kind: 'content', content: 'none' };
}

const logLines: string[] = [];
let fake: FakeGraphApi;
let llm: FakeLlmApi;
let service: RunningService;
let plain: RunningService;
/** A newer OpenAI-style model that refuses max_tokens, and a service set up for it (QUESTIONS_LLM_TOKEN_FIELD). */
let newerLlm: FakeLlmApi;
let newer: RunningService;
const prefixes: string[] = [];
let dir = '';
let mids = 0;

beforeAll(async () => {
  llm = await startFakeLlmApi({ chooser: (call) => chooser(call.user) });
  dir = flowsDir('talkshop-questions-', { 'help.yaml': FLOW, 'settings.yaml': loopbackSettings() });
  fake = await startFakeGraphApi({ appSecret: TEST_SECRET, accessToken: 'test-access-token', pageId: TEST_PAGE });
  const base = { GRAPH_API_URL: fake.url, FLOWS_DIR: dir, USER_PROFILE_LOOKUP: 'false' };
  const config = testConfig({
    ...base,
    QUESTIONS_LLM_URL: llm.url,
    QUESTIONS_LLM_MODEL: 'fake-model-1',
    QUESTIONS_LLM_KEY: KEY,
    // Long enough that a loaded machine never times out a call the fake answers at once.
    QUESTIONS_LLM_TIMEOUT_MS: '4000',
    ADMIN_TOKEN,
    ADMIN_PORT: '0',
  });
  // Every log line, at debug, to scan for the customer's texts and the key.
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  service = await startService(config, { logger });
  // The same flows without a model: never asked.
  const plainConfig = testConfig(base);
  plain = await startService(plainConfig, { logger });
  newerLlm = await startFakeLlmApi({ chooser: (call) => chooser(call.user), tokenField: 'max_completion_tokens' });
  const newerConfig = testConfig({
    ...base,
    QUESTIONS_LLM_URL: newerLlm.url,
    QUESTIONS_LLM_MODEL: 'fake-model-2',
    QUESTIONS_LLM_TIMEOUT_MS: '4000',
    QUESTIONS_LLM_TOKEN_FIELD: 'max_completion_tokens',
  });
  newer = await startService(newerConfig, { logger });
  prefixes.push(config.REDIS_KEY_PREFIX, plainConfig.REDIS_KEY_PREFIX, newerConfig.REDIS_KEY_PREFIX);
});
afterAll(async () => {
  llm?.release();
  await service?.stop();
  await plain?.stop();
  await newer?.stop();
  await llm?.stop();
  await newerLlm?.stop();
  await fake?.stop();
  for (const p of prefixes) await deletePrefix(p);
  rmSync(dir, { recursive: true, force: true });
});

const say = (to: RunningService, psid: string, text: string) =>
  postSigned(to.port, textMessageBody(TEST_PAGE, psid, text, Date.now(), `m_qm_${++mids}`));
const texts = (psid: string): string[] => sentTexts(fake, psid);
const saidLast = (psid: string, text: string) => lastSaidIs(fake, psid, text);
const callsFor = (text: string) => llm.calls.filter((c) => c.user === text);

/** A customer past the welcome (not a first contact) types `text` and gets `expected`. */
async function ask(psid: string, text: string, expected: string, to: RunningService = service): Promise<void> {
  expect((await say(to, psid, 'hi')).status).toBe(200);
  await waitFor('the welcome', saidLast(psid, WELCOME));
  const before = texts(psid).length;
  expect((await say(to, psid, text)).status).toBe(200);
  await waitFor(expected, () => (texts(psid).length > before ? saidLast(psid, expected)() : undefined));
}

it('text the matcher cannot place: the model picks "returns" and the customer gets the returns answer', async () => {
  const text = 'can I send them back if they pinch';
  await ask('qm-returns', text, RETURNS);
  const [call] = callsFor(text);
  expect(callsFor(text)).toHaveLength(1);
  expect(call).toMatchObject({ model: 'fake-model-1', temperature: 0, authorization: `Bearer ${KEY}` });
  expect(call?.maxTokens).toBeLessThanOrEqual(64);
  expect(call?.system).toContain('returns: What is your return policy?');
  expect(call?.system).toContain('shipping: How much is shipping?');
  // The customer saw typing while the model chose.
  const actions = fake.calls.filter((c) => c.recipientId === 'qm-returns' && c.endpoint === 'sender_action');
  expect(actions.map((c) => (c.body as { sender_action?: string }).sender_action)).toContain('typing_on');
});

it.each([
  ['the model says none', "what's the weather like on the moon"],
  ['the model answers an id it was not given', 'do you have any cake'],
  ['the model answers prose', 'tell me a story about boots'],
  ['the model answers 500', 'my broken zipper again'],
  ['the model answers a body that is not JSON', 'gibberish flarp'],
])('%s → the fallback, never an invented answer', async (_what, text) => {
  const psid = `qm-${mids}`;
  await ask(psid, text, FALLBACK);
  expect(callsFor(text)).toHaveLength(1);
  expect(texts(psid).join('\n')).not.toContain('90 days');
});

it('a model slower than the timeout → the fallback after exactly one call (no retry); its late answer changes nothing', async () => {
  const psid = 'qm-slow';
  const text = 'please answer slowly, my friend';
  await ask(psid, text, FALLBACK);
  expect(callsFor(text)).toHaveLength(1);
  const sent = texts(psid).length;
  llm.release({ kind: 'content', content: 'returns' });
  // Another round trip through the same lane: by then a retry or a late answer would have shown.
  expect((await say(service, psid, 'How much is shipping?')).status).toBe(200);
  await waitFor('the shipping answer', saidLast(psid, 'Shipping is free over $50.'));
  expect(texts(psid).slice(sent)).toEqual(['Shipping is free over $50.']);
  expect(callsFor(text)).toHaveLength(1);
});

it('QUESTIONS_LLM_TOKEN_FIELD=max_completion_tokens: a model that refuses max_tokens answers, and the customer gets its choice', async () => {
  const text = 'can I send them back to a newer model';
  await ask('qm-newer', text, RETURNS, newer);
  expect(newerLlm.calls.filter((c) => c.user === text)).toHaveLength(1);
});

it('text matched locally is answered without calling the model', async () => {
  const text = 'What is your return policy?';
  await ask('qm-local', text, RETURNS);
  expect(callsFor(text)).toHaveLength(0);
});

it('without QUESTIONS_LLM_URL the model is never called: the fallback at once', async () => {
  const text = 'could I send them back, unconfigured';
  await ask('qm-plain', text, FALLBACK, plain);
  expect(callsFor(text)).toHaveLength(0);
});

it('a text the model placed nowhere is counted as unmatched, one it placed is not', async () => {
  await waitFor('counted', async () => {
    const res = await fetch(`http://127.0.0.1:${service.adminPort}/admin/insights/unmatched?limit=100`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = await res.text();
    return body.includes('weather') ? body : undefined;
  }).then((body) => expect(body).not.toContain('pinch'));
});

it("the customer's texts and the key are in no log line (at debug), and the key is nowhere in the store", async () => {
  await waitFor('every call answered', () => (llm.heldCount === 0 ? true : undefined));
  const logs = logLines.join('\n');
  expect(logLines.length).toBeGreaterThan(0);
  expect(logs).toContain('questions/model'); // the calls are logged, by name only
  for (const secret of [KEY, 'send them back', 'weather like', 'story about boots', 'answer slowly', 'gibberish'])
    expect(logs).not.toContain(secret);
  expect(await storeDump(prefixes[0] ?? '')).not.toContain(KEY);
});

it("counts the model's answers by outcome on /metrics", async () => {
  const metrics = await (await fetch(`http://127.0.0.1:${service.adminPort}/metrics`)).text();
  const count = (outcome: string) =>
    Number(new RegExp(`^talkshop_question_model_choices_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
  expect(['chosen', 'none', 'invalid', 'failed', 'timeout'].map(count)).toEqual([1, 1, 3, 1, 1]);
});
