import fc from 'fast-check';
import { join } from 'node:path';
import type { EngineEvent } from '../../src/engine/engineEvent';
import type { FlowSet } from '../../src/engine/flowSet';
import { GET_STARTED_PAYLOAD } from '../../src/engine/payloads';
import { transition } from '../../src/engine/transition';
import { initialUserState, userStateSchema, type UserState } from '../../src/engine/userState';
import { loadFlows } from '../../src/flows/loadFlows';
import { messageSchema, type SendMessage } from '../../src/platform/sendApiSchema';
import { HOUR, T0 } from './engineFixtures';

const loaded = loadFlows(join(__dirname, '..', '..', 'flows'));
if (!loaded.ok) throw new Error(`the shipped flows must load: ${JSON.stringify(loaded.problems)}`);
const flows: FlowSet = loaded.flowSet;

/** A step either says something, taps one of the payloads the bot offered so far, or is an external event. */
type Step = { kind: 'event'; event: EngineEvent } | { kind: 'tap'; pick: number } | { kind: 'resume' };

const vocabulary = [
  'hi',
  'Hello!',
  '你好',
  'menu',
  'MENU',
  'stop',
  'start',
  'human',
  'talk to a person',
  'shoes',
  'order status',
  'where is my order?',
  'shipping',
  'returns',
  'ann@example.com',
  'not-an-email',
  '42',
  '35',
  '49',
  '#104233',
  '104233',
  '12',
  '',
  ' ',
  'Ünïcödé',
  '🙂',
  'x'.repeat(3000),
];
const event: fc.Arbitrary<EngineEvent> = fc.oneof(
  fc.constantFrom(...vocabulary).map((text) => ({ type: 'text', text }) as const),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => ({ type: 'text', text }) as const),
  fc
    .constantFrom(GET_STARTED_PAYLOAD, 'TS|shop|gone|s0q0', 'TS|nope', 'RANDOM')
    .map((payload) => ({ type: 'payload', payload, text: payload }) as const),
  fc
    .record({ ref: fc.constantFrom('summer-sale', 'unknown-ref', ''), fromAd: fc.boolean() })
    .map((r) => ({ type: 'referral', ...r }) as const),
  fc.constantFrom(
    { type: 'optin', ref: 'OFFERS' } as const,
    { type: 'attachment' } as const,
    { type: 'reaction' } as const,
    { type: 'none' } as const,
  ),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: event.map((e) => ({ kind: 'event', event: e }) as const) },
  { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: 'tap', pick }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' } as const) },
);

function offeredPayloads(messages: readonly SendMessage[]): Array<{ payload: string; title: string }> {
  const out: Array<{ payload: string; title: string }> = [];
  for (const m of messages) {
    for (const q of m.quick_replies ?? []) if (q.content_type === 'text') out.push({ payload: q.payload, title: q.title });
    if ('attachment' in m && m.attachment.type === 'template') {
      const p = m.attachment.payload;
      const buttons = p.template_type === 'button' ? p.buttons : p.elements.flatMap((e) => e.buttons ?? []);
      for (const b of buttons) if (b.type === 'postback') out.push({ payload: b.payload, title: b.title });
    }
  }
  return out;
}

describe('transition over the shipped flows (property)', () => {
  it('never throws, never exceeds the per-event cap, and only produces valid Messenger messages', () => {
    const cap = flows.settings.max_messages_per_event;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let state: UserState = initialUserState();
        let offered: Array<{ payload: string; title: string }> = [];
        steps.forEach((s, i) => {
          if (s.kind === 'resume') {
            state = { ...state, thread: 'bot' };
            return;
          }
          const tapped = s.kind === 'tap' ? offered[s.pick % Math.max(1, offered.length)] : undefined;
          const e: EngineEvent =
            s.kind === 'event'
              ? s.event
              : tapped
                ? { type: 'payload', payload: tapped.payload, text: tapped.title }
                : { type: 'text', text: 'hi' };
          const r = transition(flows, state, e, T0 + i * HOUR);
          const messages = r.effects.flatMap((x) => (x.type === 'send' ? [x.message] : []));
          expect(messages.length).toBeLessThanOrEqual(cap);
          for (const m of messages) {
            const check = messageSchema.safeParse(m);
            if (!check.success) throw new Error(`invalid message ${JSON.stringify(m)}: ${check.error.message}`);
          }
          expect(userStateSchema.safeParse(r.state).success).toBe(true);
          state = JSON.parse(JSON.stringify(r.state)) as UserState;
          if (messages.length > 0) offered = offeredPayloads(messages);
        });
      }),
      { numRuns: 300 },
    );
  });
});
