import type { EffectOf, EngineEffect } from '../../src/engine/effects';
import type { EngineEvent, QuestionChoiceOutcome } from '../../src/engine/engineEvent';
import type { FlowSet } from '../../src/engine/flowSet';
import { MAX_MODEL_QUESTIONS, modelQuestions } from '../../src/engine/questionModel';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { T0, flowSet, tap, text } from './engineFixtures';

const shop = {
  id: 'shop',
  start: 'welcome',
  triggers: [{ get_started: true }],
  nodes: { welcome: { say: [{ text: 'Welcome!' }] } },
  fallback: { text: 'Sorry?', escalate_after: 5 },
};
const faq = {
  id: 'faq',
  start: 'shipping',
  questions: [
    { id: 'shipping', phrasings: ['How much is shipping?', 'Do you ship internationally?'], goto: 'shipping' },
    { id: 'returns', phrasings: ['What is your return policy?', 'Can I get a refund?'], goto: 'returns' },
  ],
  nodes: { shipping: { say: [{ text: 'Free over $50.' }] }, returns: { say: [{ text: 'Free within 30 days.' }] } },
};
const settings = { default_flow: 'shop' };
const withModel: FlowSet = { ...flowSet([faq, shop], settings), questionModel: true };
const withoutModel = flowSet([faq, shop], settings);

let clock = T0;
function step(fs: FlowSet, state: UserState, event: EngineEvent) {
  clock += 60_000;
  return transition(fs, state, event, clock);
}
const texts = (effects: readonly EngineEffect[]) =>
  effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? [e.message.text] : []));
const asked = (effects: readonly EngineEffect[]): EffectOf<'classify_question'> | undefined =>
  effects.find((e): e is EffectOf<'classify_question'> => e.type === 'classify_question');
const choice = (id: string, outcome: QuestionChoiceOutcome, question?: string): EngineEvent => ({
  type: 'question_choice',
  id,
  outcome,
  ...(question === undefined ? {} : { question }),
});
/** A customer in the shop's welcome (not a first contact) who typed `said`. */
function typed(said: string, fs: FlowSet = withModel) {
  const started = step(fs, initialUserState(), tap('GET_STARTED'));
  return step(fs, started.state, text(said));
}

describe('the language model, boxed in', () => {
  it('text the local search cannot place goes to the model with every question, and the customer sees typing', () => {
    const r = typed('can I send them back');
    const call = asked(r.effects);
    // The text alone: the runtime puts the flows' questions before the model (modelQuestions).
    expect(call).toEqual({ type: 'classify_question', id: call?.id, text: 'can I send them back' });
    const questions = modelQuestions(withModel.questions, call?.text ?? '');
    expect(questions.map((q) => q.id).sort()).toEqual(['returns', 'shipping']);
    expect(questions.find((q) => q.id === 'returns')?.phrasing).toBe('What is your return policy?');
    expect(r.effects).toContainEqual({ type: 'typing', ms: 0, request: call?.id });
    expect(texts(r.effects)).toEqual([]);
    expect(r.effects.filter((e) => e.type === 'unmatched')).toEqual([]);
    expect(r.state.questionCall).toEqual({ id: call?.id, text: 'can i send them back', disclose: false });
  });

  it('a choice of a known question runs its answer; the call is then over', () => {
    const r = typed('can I send them back');
    const answered = step(withModel, r.state, choice(asked(r.effects)?.id ?? '', 'chosen', 'returns'));
    expect(texts(answered.effects)).toEqual(['Free within 30 days.']);
    expect(answered.state.position).toMatchObject({ flow: 'faq', node: 'returns' });
    expect(answered.state.questionCall).toBeNull();
    // The same choice again (a replay) changes nothing.
    const again = step(withModel, answered.state, choice(asked(r.effects)?.id ?? '', 'chosen', 'returns'));
    expect(again.effects).toEqual([]);
  });

  it.each<[QuestionChoiceOutcome, string | undefined]>([
    ['none', undefined],
    ['invalid', undefined],
    ['failed', undefined],
    ['timeout', undefined],
    ['chosen', 'no-such-question'],
  ])('%s (%s) → the fallback, counted as unmatched', (outcome, question) => {
    const r = typed('can I send them back');
    const after = step(withModel, r.state, choice(asked(r.effects)?.id ?? '', outcome, question));
    expect(texts(after.effects)).toEqual(['Sorry?']);
    expect(after.effects.filter((e) => e.type === 'unmatched')).toEqual([
      { type: 'unmatched', text: 'can i send them back', outcome: 'fallback' },
    ]);
    expect(after.state.misses).toBe(1);
  });

  it('a choice for another id, or after the customer wrote again, changes nothing', () => {
    const r = typed('can I send them back');
    const id = asked(r.effects)?.id ?? '';
    expect(step(withModel, r.state, choice('qm-other', 'chosen', 'returns')).effects).toEqual([]);
    const moved = step(withModel, r.state, text('How much is shipping?'));
    expect(texts(moved.effects)).toEqual(['Free over $50.']);
    expect(moved.state.questionCall).toBeNull();
    expect(step(withModel, moved.state, choice(id, 'chosen', 'returns')).effects).toEqual([]);
  });

  it('text matched locally, a first contact, or no model configured: no call', () => {
    expect(asked(typed('How much is shipping?').effects)).toBeUndefined();
    expect(asked(step(withModel, initialUserState(), text('can I send them back')).effects)).toBeUndefined();
    const off = typed('can I send them back', withoutModel);
    expect(asked(off.effects)).toBeUndefined();
    expect(texts(off.effects)).toEqual(['Sorry?']);
  });

  it('a disclosure due when the text went to the model comes with its answer', () => {
    const fs: FlowSet = { ...flowSet([faq, shop], { ...settings, disclosure: { enabled: true } }), questionModel: true };
    const started = step(fs, initialUserState(), tap('GET_STARTED'));
    const r = step(fs, { ...started.state, disclosedAt: null }, text('can I send them back'));
    expect(r.state.questionCall?.disclose).toBe(true);
    const answered = step(fs, r.state, choice(asked(r.effects)?.id ?? '', 'chosen', 'returns'));
    expect(texts(answered.effects)[0]).toMatch(/automated assistant[\s\S]*Free within 30 days\.$/);
    expect(answered.state.disclosedAt).not.toBeNull();
  });

  it(`puts at most ${MAX_MODEL_QUESTIONS} questions before the model, the local search's best first`, () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ id: `q${i}`, phrasings: [`topic${i} question`], goto: 'shipping' }));
    const fs: FlowSet = {
      ...flowSet([{ ...faq, questions: [...faq.questions, ...many] }, shop], {
        ...settings,
        questions: { answer_threshold: 0.9, suggest_threshold: 0.5 },
      }),
      questionModel: true,
    };
    // One word among many the questions do not know: below suggest_threshold, yet the search's best.
    const call = asked(typed('zebra giraffe walrus penguin otter badger topic149', fs).effects);
    const questions = modelQuestions(fs.questions, call?.text ?? '');
    expect(questions).toHaveLength(MAX_MODEL_QUESTIONS);
    expect(questions[0]?.id).toBe('q149');
  });

  it('a handover while the model chooses drops its choice', () => {
    const r = typed('can I send them back');
    const handed = step(withModel, r.state, text('human'));
    expect(handed.state.questionCall).toBeNull();
  });
});
