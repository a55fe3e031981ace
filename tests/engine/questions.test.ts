import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import type { FlowSet } from '../../src/engine/flowSet';
import { questionPayload } from '../../src/engine/questionEvents';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { messageSchema, type SendMessage } from '../../src/platform/sendApiSchema';
import { T0, flowSet, tap, text } from './engineFixtures';

const shop = {
  id: 'shop',
  start: 'welcome',
  entry: 'menu',
  triggers: [{ get_started: true }, { keyword: 'order', match: 'contains', goto: 'order_status' }],
  nodes: {
    welcome: { say: [{ text: 'Welcome!' }], next: 'menu' },
    menu: { say: [{ text: 'Menu', quick_replies: [{ title: 'Shoes', goto: 'menu' }] }] },
    order_status: { ask: { text: 'Your order number?', capture: 'number', into: 'order', on_fail: 'menu' } },
  },
  fallback: { text: 'Sorry?', escalate_after: 3 },
};
const faq = {
  id: 'faq',
  start: 'shipping',
  questions: [
    {
      id: 'shipping',
      phrasings: ['How much is shipping?', 'Do you ship internationally?', { text: 'Combien coûte la livraison ?', lang: 'fr' }],
      goto: 'shipping',
    },
    { id: 'returns', title: 'Returns', phrasings: ['What is your return policy?', 'Can I get a refund?'], goto: 'returns' },
    {
      id: 'tracking',
      title: 'Track my order',
      phrasings: ['Where is my package?', 'Track my parcel'],
      goto: 'shop:order_status',
    },
  ],
  nodes: {
    shipping: { say: [{ text: 'Free over $50.' }] },
    returns: { say: [{ text: 'Free within 30 days.' }] },
  },
};
const settings = { default_flow: 'shop', questions: { answer_threshold: 0.6, suggest_threshold: 0.2 } };
const flows = flowSet([faq, shop], settings);

function play(events: EngineEvent[], fs: FlowSet = flows, start: UserState = initialUserState()) {
  let state = start;
  const all: EngineEffect[][] = [];
  events.forEach((e, i) => {
    const r = transition(fs, state, e, T0 + i * 60_000);
    state = r.state;
    all.push([...r.effects]);
  });
  return { state, effects: all.at(-1) ?? [], all };
}
const sends = (effects: readonly EngineEffect[]): SendMessage[] => effects.flatMap((e) => (e.type === 'send' ? [e.message] : []));
const texts = (effects: readonly EngineEffect[]) => sends(effects).map((m) => ('text' in m ? m.text : ''));
const unmatched = (effects: readonly EngineEffect[]) => effects.filter((e) => e.type === 'unmatched');
const inMenu = [tap('GET_STARTED')];

describe('typed questions', () => {
  it('answers a question asked with a typo from its node, in another flow than the one the customer is in', () => {
    const { effects, state } = play([...inMenu, text('Retrun policy?')]);
    expect(texts(effects)).toEqual(['Free within 30 days.']);
    expect(state.position).toMatchObject({ flow: 'faq', node: 'returns' });
    expect(unmatched(effects)).toEqual([]);
  });

  it('answers in another language, accents or not', () => {
    expect(texts(play([...inMenu, text('combien coute la livraison')]).effects)).toEqual(['Free over $50.']);
  });

  it('a goto of "<flow>:<node>" runs that flow\'s node', () => {
    const { effects, state } = play([...inMenu, text('track my parcel please')]);
    expect(texts(effects)).toEqual(['Your order number?']);
    expect(state.pending).toMatchObject({ flow: 'shop', node: 'order_status' });
  });

  it('a keyword trigger wins over a question, and a waiting ask takes the text as its answer', () => {
    expect(play([...inMenu, text('where is my order')]).state.pending).toMatchObject({ node: 'order_status' });
    const { state } = play([...inMenu, text('track my parcel'), text('refund')]);
    expect(state.pending).toMatchObject({ node: 'order_status', retries: 1 }); // "refund" is no number: asked again
  });

  it('between the thresholds: "Did you mean…" with the best questions as quick replies; tapping one runs its answer', () => {
    const fs = flowSet([faq, shop], { ...settings, questions: { answer_threshold: 1, suggest_threshold: 0.05 } });
    const { effects, state } = play([...inMenu, text('refund or shipping?')], fs);
    const [message] = sends(effects);
    expect(messageSchema.safeParse(message).success).toBe(true);
    expect(message).toMatchObject({ text: 'Did you mean…' });
    const replies = message?.quick_replies ?? [];
    expect(replies.map((q) => 'title' in q && q.title).sort()).toEqual(['How much is shipping', 'Returns']);
    expect(unmatched(effects)).toEqual([{ type: 'unmatched', text: 'refund or shipping', outcome: 'suggested' }]);
    const returns = replies.find((q) => 'title' in q && q.title === 'Returns');
    const tapped = transition(fs, state, tap(returns && 'payload' in returns ? returns.payload : '', 'Returns'), T0 + 3600_000);
    expect(texts(tapped.effects)).toEqual(['Free within 30 days.']);
    expect(tapped.state.position).toMatchObject({ flow: 'faq', node: 'returns' });
  });

  it('below suggest_threshold: the fallback, and an unmatched effect with the normalized text cut to 200 characters', () => {
    const { effects, state } = play([...inMenu, text('Tell me a JOKE!')]);
    expect(texts(effects)).toEqual(['Sorry?']);
    expect(unmatched(effects)).toEqual([{ type: 'unmatched', text: 'tell me a joke', outcome: 'fallback' }]);
    expect(state.misses).toBe(1);
    const long = play([...inMenu, text(`é${'x'.repeat(400)}`)]).effects;
    expect(unmatched(long)).toEqual([{ type: 'unmatched', text: `e${'x'.repeat(199)}`, outcome: 'fallback' }]);
  });

  it('an answer resets the count of misunderstandings', () => {
    expect(play([...inMenu, text('blorp'), text('refund')]).state.misses).toBe(0);
  });

  it('at a first contact, a sure answer is given; anything less starts the default flow, never "Did you mean…"', () => {
    expect(texts(play([text('can I get a refund')]).effects)).toEqual(['Free within 30 days.']);
    const fs = flowSet([faq, shop], { ...settings, questions: { answer_threshold: 1, suggest_threshold: 0.05 } });
    expect(texts(play([text('refund or shipping?')], fs).effects)).toEqual(['Welcome!', 'Menu']);
  });

  it('a stale "Did you mean…" tap (the question since removed) is read as its title', () => {
    const { effects } = play([...inMenu, tap(questionPayload('gone'), 'Returns')]);
    expect(texts(effects)).toEqual(['Free within 30 days.']); // the title itself matches the returns question
    expect(texts(play([...inMenu, tap(questionPayload('gone'), 'zzz')]).effects)).toEqual(['Sorry?']);
  });

  it('an attachment reaching the fallback is not counted as an unmatched text', () => {
    const { effects } = play([...inMenu, { type: 'attachment' }]);
    expect(unmatched(effects)).toEqual([]);
  });
});
