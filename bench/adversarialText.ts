/**
 * `npm run bench:adversarial`: engine time for hostile customer text, through `transition()` with the
 * shop flows in flows/. Each input is crafted against one built-in matcher: the keyword normalisation
 * (a long run of punctuation that does not reach the end of the text), and the email, number, phone,
 * date and pattern validators. The text is given to the engine uncut, at BENCH_ADVERSARIAL_LENGTHS
 * characters (default 16000 and 64000): the runtime cuts it to 2,000 before the engine (toEngineEvent),
 * so these figures show the matchers themselves are linear, the cap being the second line of defence.
 *
 * The shop has no phone or date question and its size question is reached only through a button, so
 * a small flow beside it asks for those (same validators, same engine).
 *
 * Peer figures, in the same run on the same input: the former one-regex trim and email regex, alone
 * (`former_ms`), to read the engine figures against this machine's speed that day.
 *
 * Prints one JSON line on stdout: per length and input, the median and max of BENCH_ADVERSARIAL_RUNS
 * (default 5) transitions in ms, and the peer's single run where there is one.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { EngineEvent } from '../src/engine/engineEvent';
import { flowSchema, settingsSchema } from '../src/engine/flowSchema';
import { buildFlowSet, type FlowSet } from '../src/engine/flowSet';
import { transition } from '../src/engine/transition';
import { initialUserState, type UserState } from '../src/engine/userState';
import { loadFlows } from '../src/flows/loadFlows';

const T0 = Date.UTC(2026, 10, 23, 15, 0, 0);
const RUNS = Number(process.env.BENCH_ADVERSARIAL_RUNS ?? 5);
const LENGTHS = (process.env.BENCH_ADVERSARIAL_LENGTHS ?? '16000,64000').split(',').map(Number);

const formerNormalize = (t: string) =>
  t
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
const FORMER_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

function shopFlows(): FlowSet {
  const outcome = loadFlows(join(__dirname, '..', '..', 'flows'));
  if (!outcome.ok) throw new Error(`flows/ does not load: ${outcome.problems.map((p) => p.message).join('; ')}`);
  return outcome.flowSet;
}

const ask = (capture: string, extra: Record<string, unknown> = {}) => ({
  ask: { text: `Your ${capture}?`, capture, into: capture, on_fail: 'done', next: 'done', ...extra },
});
const askFlows = buildFlowSet(
  [
    {
      flow: flowSchema.parse({
        id: 'asks',
        start: 'done',
        triggers: [
          { postback: 'ASK_PHONE', goto: 'phone' },
          { postback: 'ASK_DATE', goto: 'date' },
          { postback: 'ASK_SIZE', goto: 'size' },
        ],
        nodes: {
          phone: ask('phone'),
          date: ask('date'),
          size: ask('number', { min: 35, max: 48 }),
          done: { say: [{ text: 'Thanks' }], end: true },
        },
      }),
      version: 'bench',
      file: 'asks.yaml',
    },
  ],
  settingsSchema.parse({}),
);

const tap = (payload: string): EngineEvent => ({ type: 'payload', payload, text: '' });

/** The state after `setup`, from a fresh user who has been greeted. */
function stateAfter(flows: FlowSet, setup: readonly EngineEvent[]): UserState {
  let state = initialUserState();
  for (const [i, e] of setup.entries()) state = transition(flows, state, e, T0 + i * 1000).state;
  return state;
}

interface Case {
  readonly flows: FlowSet;
  readonly setup: readonly EngineEvent[];
  readonly text: (n: number) => string;
  readonly former?: (s: string) => unknown;
}

const shop = shopFlows();
const greeted = [tap('GET_STARTED'), { type: 'text', text: 'hi' } as const];
const cases: Record<string, Case> = {
  // Keyword matching normalises every message: a run of punctuation inside the text.
  punctuation_inside: { flows: shop, setup: greeted, text: (n) => `a${'!'.repeat(n - 2)}a`, former: formerNormalize },
  punctuation_only: { flows: shop, setup: greeted, text: (n) => '?!'.repeat(n / 2), former: formerNormalize },
  email: {
    flows: shop,
    setup: [tap('GET_DISCOUNT')],
    text: (n) => `a@${'.'.repeat(n - 3)}@`,
    former: (s) => FORMER_EMAIL.test(s),
  },
  order_number_pattern: { flows: shop, setup: [tap('ORDER_STATUS')], text: (n) => `#${'1'.repeat(n - 1)}` },
  number: { flows: askFlows, setup: [tap('ASK_SIZE')], text: (n) => `${'1,000'.repeat(n / 5 - 1)}1,00x` },
  phone: { flows: askFlows, setup: [tap('ASK_PHONE')], text: (n) => `${'1 '.repeat(n / 2 - 1)}1x` },
  date: { flows: askFlows, setup: [tap('ASK_DATE')], text: (n) => `${'1'.repeat(n - 4)}-1-1` },
};

function time(f: () => unknown): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

const results: Record<string, Record<string, { median_ms: number; max_ms: number; former_ms?: number }>> = {};
for (const n of LENGTHS) {
  const row: (typeof results)[string] = {};
  for (const [name, c] of Object.entries(cases)) {
    const state = stateAfter(c.flows, c.setup);
    const text = c.text(n);
    const runs = Array.from({ length: RUNS }, () => time(() => transition(c.flows, state, { type: 'text', text }, T0 + 60_000)));
    runs.sort((a, b) => a - b);
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const former = c.former;
    row[name] = {
      median_ms: round(runs[Math.floor(runs.length / 2)] ?? NaN),
      max_ms: round(runs[runs.length - 1] ?? NaN),
      ...(former ? { former_ms: round(time(() => former(text))) } : {}),
    };
    process.stderr.write(`${n} ${name} ${JSON.stringify(row[name])}\n`);
  }
  results[String(n)] = row;
}
console.log(JSON.stringify({ runs: RUNS, node: process.version, results }));
