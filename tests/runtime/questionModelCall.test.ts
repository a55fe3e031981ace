import pino from 'pino';
import type { EffectOf } from '../../src/engine/effects';
import { startFakeLlmApi, type FakeLlmApi } from '../../src/emulator/fakeLlmApi';
import { createMetrics } from '../../src/metrics';
import { startOutboundCalls } from '../../src/runtime/outboundCalls';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { flowSet } from '../engine/engineFixtures';
import type { RequestOutcome } from '../../src/requests/outboundRequest';
import type { ModelQuestion } from '../../src/engine/questionModel';
import { decodeEffect } from '../../src/runtime/decodeEffect';
import { questionModelCall, questionModelRequest, readChoice } from '../../src/runtime/questionModelCall';

const effect: EffectOf<'classify_question'> = { type: 'classify_question', id: 'qm-1', text: 'can I send them back' };
const questions: readonly ModelQuestion[] = [
  { id: 'returns', phrasing: 'What is your return policy?' },
  { id: 'order-status', phrasing: 'Where is my\n order?' },
];
const ids = questions.map((q) => q.id);
/** Flows with those two questions, as the runtime holds them. */
const faq = (qs: ReadonlyArray<{ readonly id: string; readonly phrasing: string }>) =>
  flowSet([
    {
      id: 'faq',
      start: 'a',
      questions: qs.map((q) => ({ id: q.id, phrasings: [q.phrasing], goto: 'a' })),
      nodes: { a: { say: [{ text: 'hi' }], end: true } },
    },
  ]).questions;
const settings = { url: 'https://llm.example.com/v1/chat/completions', model: 'm-1', key: 'sk-abc', timeoutMs: 2500 };
const said = (content: unknown, status = 200): RequestOutcome => ({
  kind: 'response',
  status,
  json: { choices: [{ message: { role: 'assistant', content } }] },
  ms: 5,
});

describe('the language model call', () => {
  it('asks with the ids and one phrasing each as the system prompt, the text as the user message, temperature 0', () => {
    const req = questionModelRequest(settings, effect, questions);
    expect(req).toMatchObject({ method: 'POST', url: settings.url, timeoutMs: 2500, name: 'questions/model' });
    expect(req.headers).toEqual({ authorization: 'Bearer sk-abc' });
    const body = JSON.parse(req.body ?? '') as { model: string; temperature: number; max_tokens: number; messages: unknown[] };
    expect(body).toMatchObject({ model: 'm-1', temperature: 0 });
    expect(body.max_tokens).toBeLessThanOrEqual(64);
    const [system, user] = body.messages as Array<{ role: string; content: string }>;
    expect(system?.content).toContain('returns: What is your return policy?\norder-status: Where is my order?');
    expect(user).toEqual({ role: 'user', content: 'can I send them back' });
    expect(questionModelRequest({ ...settings, key: undefined }, effect, questions).headers).toEqual({});
  });

  it.each([
    ['returns', 'returns'],
    ['  "returns".\n', 'returns'],
    ['`Returns`', 'returns'],
    ['{"id": "order-status"}', 'order-status'],
    ['"order-status"', 'order-status'],
  ])('reads exactly one known id: %j', (content, question) => {
    expect(readChoice(ids, said(content))).toEqual({ outcome: 'chosen', question });
  });

  it.each(['none', 'None.', '"none"', '{"id":"none"}'])('reads none: %j', (content) => {
    expect(readChoice(ids, said(content))).toEqual({ outcome: 'none' });
  });

  it.each([
    'shipping',
    'returns, order-status',
    'The customer asks about returns',
    'Our returns are free for 90 days!',
    '',
    `returns${' '.repeat(300)}x`,
    '{"question": "returns"}',
  ])('anything else is invalid, never an answer: %j', (content) => {
    expect(readChoice(ids, said(content))).toEqual({ outcome: 'invalid' });
  });

  it('a body that is not a completion is invalid; an error status failed; a timeout a timeout', () => {
    expect(readChoice(ids, { kind: 'response', status: 200, json: null, ms: 1 })).toEqual({ outcome: 'invalid' });
    expect(readChoice(ids, { kind: 'response', status: 200, json: { choices: [] }, ms: 1 })).toEqual({ outcome: 'invalid' });
    expect(readChoice(ids, said(42))).toEqual({ outcome: 'invalid' });
    expect(readChoice(ids, said('returns', 500))).toEqual({ outcome: 'failed' });
    expect(readChoice(ids, said('returns', 429))).toEqual({ outcome: 'failed' });
    expect(readChoice(ids, { kind: 'timeout', ms: 2500 })).toEqual({ outcome: 'timeout' });
    expect(readChoice(ids, { kind: 'refused', reason: 'host_not_allowed' })).toEqual({ outcome: 'failed' });
  });

  it('without a model configured here, or questions in the flows now, no call is made and the result is failed', () => {
    const index = faq(questions);
    for (const call of [questionModelCall(undefined, index, effect), questionModelCall(settings, faq([]), effect)]) {
      expect(call.request).toBeUndefined();
      expect(call.result(undefined)).toEqual({ id: 'qm-1', outcome: 'failed' });
    }
    expect(questionModelCall(settings, index, effect).result(said('returns'))).toEqual({
      id: 'qm-1',
      outcome: 'chosen',
      question: 'returns',
    });
  });

  it('puts the questions of the flows it holds now before the model, and reads only their ids (a deploy since the text)', () => {
    // The entry was written when the flows had returns and order-status; a deploy since renamed returns.
    const now = faq([
      { id: 'refunds', phrasing: 'Can I get a refund?' },
      { id: 'order-status', phrasing: 'Where is my order?' },
    ]);
    const call = questionModelCall(settings, now, effect);
    const system = (JSON.parse(call.request?.body ?? '{}') as { messages: Array<{ content: string }> }).messages[0]?.content;
    expect(system).toContain('refunds: Can I get a refund?');
    expect(system).not.toContain('returns');
    // A model that still says the old id chose nothing it was given: the fallback.
    expect(call.result(said('returns'))).toEqual({ id: 'qm-1', outcome: 'invalid' });
    expect(call.result(said('refunds'))).toEqual({ id: 'qm-1', outcome: 'chosen', question: 'refunds' });
  });

  it('reads an entry written by an earlier release (with its questions listed) as the text alone', () => {
    const old = { type: 'classify_question', id: 'qm-0', text: 'can I send them back', questions };
    expect(decodeEffect({ v: 1, body: old })).toEqual({
      type: 'effect',
      effect: { type: 'classify_question', id: 'qm-0', text: old.text },
    });
  });
});

describe('the field that caps the reply (QUESTIONS_LLM_TOKEN_FIELD), against the fake endpoint', () => {
  /** Sends the call as built and reads the fake's answer as the runtime does. */
  async function ask(fake: FakeLlmApi, tokenField?: 'max_tokens' | 'max_completion_tokens') {
    const req = questionModelRequest({ ...settings, url: fake.url, ...(tokenField ? { tokenField } : {}) }, effect, questions);
    const res = await fetch(req.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body });
    const outcome: RequestOutcome = { kind: 'response', status: res.status, json: (await res.json()) as unknown, ms: 1 };
    return { status: res.status, choice: readChoice(ids, outcome), body: JSON.parse(req.body ?? '{}') as object };
  }

  it('a model that takes only max_completion_tokens refuses max_tokens (400: the fallback) and answers the other', async () => {
    const fake = await startFakeLlmApi({ keywords: { back: 'returns' }, tokenField: 'max_completion_tokens' });
    try {
      const refused = await ask(fake);
      expect(refused.body).toHaveProperty('max_tokens');
      expect(refused).toMatchObject({ status: 400, choice: { outcome: 'failed' } });
      const taken = await ask(fake, 'max_completion_tokens');
      expect(taken.body).not.toHaveProperty('max_tokens');
      expect(taken).toMatchObject({ status: 200, choice: { outcome: 'chosen', question: 'returns' } });
      expect(fake.calls).toHaveLength(1);
      expect(fake.calls[0]?.maxTokens).toBeLessThanOrEqual(64);
    } finally {
      await fake.stop();
    }
  });

  it('an older server that knows only max_tokens refuses max_completion_tokens', async () => {
    const fake = await startFakeLlmApi({ keywords: { back: 'returns' }, tokenField: 'max_tokens' });
    try {
      expect(await ask(fake, 'max_completion_tokens')).toMatchObject({ status: 400, choice: { outcome: 'failed' } });
      expect(await ask(fake, 'max_tokens')).toMatchObject({ status: 200, choice: { outcome: 'chosen' } });
    } finally {
      await fake.stop();
    }
  });
});

describe('start-up', () => {
  const flows = flowSet([{ id: 'f', start: 'a', nodes: { a: { say: [{ text: 'hi' }], end: true } } }], {
    requests: { hosts: [{ host: 'llm.example.com' }] },
  });
  const options = (url: string) => ({
    flows,
    store: createMemoryStore({ dedupeTtlSeconds: 60 }),
    pageId: 'page-1',
    env: () => undefined,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    now: Date.now,
    sleep: () => Promise.resolve(),
    questionModel: { ...settings, url },
  });

  it("refuses a model whose host settings.yaml's requests.hosts does not allow", async () => {
    expect(() => startOutboundCalls(options('https://other.example.com/v1/chat/completions'))).toThrow(
      /QUESTIONS_LLM_URL: refused by settings.yaml requests \(host_not_allowed\)/,
    );
    expect(() => startOutboundCalls(options('http://llm.example.com/v1/chat/completions'))).toThrow(/\(scheme\)/);
    await startOutboundCalls(options(settings.url)).stop();
  });
});
