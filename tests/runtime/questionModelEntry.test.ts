/**
 * The size of the outbox entry a text for the language model makes (#19 review): one per text the
 * local search could not place, stored in Redis until the model's choice is back. The effect
 * carries the text and its call id; the questions are the flows' own, read by the runtime.
 */
import type { EffectOf } from '../../src/engine/effects';
import type { FlowSet } from '../../src/engine/flowSet';
import { transition } from '../../src/engine/transition';
import { initialUserState } from '../../src/engine/userState';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import { T0, flowSet, tap, text } from '../engine/engineFixtures';

/** 100 questions with ids and phrasings as a shop writes them. */
const questions = Array.from({ length: 100 }, (_, i) => ({
  id: `shop-question-${i}`,
  phrasings: [`Can you tell me about the delivery options for product line number ${i}?`, `Other wording ${i}`],
  goto: 'answer',
}));
const flows: FlowSet = {
  ...flowSet(
    [
      {
        id: 'shop',
        start: 'welcome',
        triggers: [{ get_started: true }],
        nodes: { welcome: { say: [{ text: 'Hi!' }] } },
        fallback: { text: 'Sorry?' },
      },
      { id: 'faq', start: 'answer', questions, nodes: { answer: { say: [{ text: 'Here you go.' }] } } },
    ],
    { default_flow: 'shop' },
  ),
  questionModel: true,
};

function entryBytes(said: string): number {
  const started = transition(flows, initialUserState(), tap('GET_STARTED'), T0);
  const r = transition(flows, started.state, text(said), T0 + 60_000);
  const effect = r.effects.find((e): e is EffectOf<'classify_question'> => e.type === 'classify_question');
  expect(effect).toBeDefined();
  return Buffer.byteLength(JSON.stringify(encodeEffect(effect as EffectOf<'classify_question'>)));
}

it('a text for the model, with 100 questions in the flows, makes an outbox entry of well under 2 KB (it was 11 KB)', () => {
  // The questions' ids and phrasings are not in it: the runtime reads them from its flows.
  expect(entryBytes('zebra giraffe walrus penguin')).toBeLessThan(512);
  // The longest text the model sees (300 characters), each escaped by JSON at its longest (\u0001: 6 bytes), still fits.
  expect(entryBytes(`zebra ${'\u0001'.repeat(400)}`)).toBeLessThan(2048);
});
