import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import type { LoadedFlow } from '../../src/engine/flowSet';
import { lintFlows } from '../../src/flows/lintFlows';
import type { Problem } from '../../src/flows/problem';

const shop = {
  id: 'shop',
  start: 'menu',
  triggers: [
    { get_started: true },
    { keyword: ['shipping'], match: 'contains', goto: 'faq' },
    { keyword: ['order'], match: 'contains', goto: 'order_status' },
  ],
  nodes: {
    menu: { say: [{ text: 'Menu' }], wait: true },
    faq: { say: [{ text: 'FAQ' }], next: 'menu' },
    order_status: { say: [{ text: 'Which order?' }], next: 'menu' },
  },
  fallback: { text: 'Sorry?', escalate_after: 2 },
};
const question = (id: string, phrasings: unknown[], goto: string) => ({ id, phrasings, goto });
const faqWith = (questions: unknown[]) => ({
  id: 'faq',
  start: 'returns',
  questions,
  nodes: { returns: { say: [{ text: 'Free returns.' }], next: 'sizes' }, sizes: { say: [{ text: 'EU 35-48.' }], wait: true } },
  fallback: { text: 'Sorry?', escalate_after: 2 },
});

function lint(flows: Array<Record<string, unknown>>, settings: Record<string, unknown> = { default_flow: 'shop' }): Problem[] {
  const loaded: LoadedFlow[] = flows.map((f) => ({ flow: flowSchema.parse(f), version: 'v1', file: `${String(f.id)}.yaml` }));
  return lintFlows(loaded, settingsSchema.parse(settings), () => undefined).filter((p) =>
    /question|phrasing|^goto/.test(p.message),
  );
}
const messages = (problems: readonly Problem[]) => problems.map((p) => `${p.severity}: ${p.message}`);

describe('lintQuestions', () => {
  const clean = [
    question('returns', ['What is your return policy?', 'Can I get a refund?'], 'returns'),
    question('sizes', ['Which size should I choose?', { text: 'Quelle pointure choisir ?', lang: 'fr' }], 'sizes'),
    question('tracking', ['Track my order'], 'shop:order_status'),
  ];

  it('says nothing about distinct questions, a "<flow>:<node>" goto, and a phrasing a trigger to the same node claims', () => {
    expect(lint([shop, faqWith(clean)])).toEqual([]);
  });

  it('warns about a phrasing a keyword trigger claims first (to another node): the question never sees it', () => {
    const problems = lint([shop, faqWith([...clean, question('shipping', ['Is shipping free?', 'Delivery costs'], 'returns')])]);
    expect(messages(problems)).toEqual([
      'warning: phrasing "Is shipping free?" of question "shipping" is claimed first by keyword "shipping" of flow "shop"; the question is never reached by it',
    ]);
  });

  it('warns about a phrasing that is a global keyword', () => {
    const problems = lint([shop, faqWith([...clean, question('people', ['talk to a person', 'speak with staff'], 'returns')])]);
    expect(messages(problems)).toEqual([
      'warning: phrasing "talk to a person" of question "people" is claimed first by the global human keyword "talk to a person"; the question is never reached by it',
    ]);
  });

  it('warns about two questions with the same phrasing once normalized (case, accents, stop words)', () => {
    const problems = lint([shop, faqWith([...clean, question('refunds', ['CAN I GET A REFUND', 'Money back'], 'returns')])]);
    expect(messages(problems)).toContainEqual(
      'warning: phrasing "CAN I GET A REFUND" of question "refunds" is the same, once normalized, as "Can I get a refund?" of question "returns"',
    );
  });

  it('warns about a phrasing another question is so close to that, typed as written, it would get "Did you mean…"', () => {
    const flows = [shop, faqWith([...clean, question('policy', ['refund policy', 'Our guarantee'], 'returns')])];
    expect(lint(flows)).toEqual([]); // at the default thresholds it is answered
    const strict = { default_flow: 'shop', questions: { answer_threshold: 0.95 } };
    expect(messages(lint(flows, strict))).toContainEqual(
      'warning: phrasing "refund policy" of question "policy" is too close to question "returns": typed as written, it gets "Did you mean…"',
    );
  });

  it('refuses a goto to a node or flow that does not exist; warns about a question id used twice', () => {
    const problems = lint([
      shop,
      faqWith([
        ...clean,
        question('a', ['Gift cards'], 'nowhere'),
        question('b', ['Store location'], 'blog:post'),
        question('returns', ['Warranty'], 'returns'),
      ]),
    ]);
    expect(messages(problems)).toEqual(
      expect.arrayContaining([
        'error: goto "nowhere": flow "faq" has no node "nowhere"',
        'error: goto "blog:post": there is no flow "blog"',
        expect.stringMatching(/^warning: question id "returns" is also used by .*only the first is matched$/),
      ]),
    );
  });

  it('a flow with questions can be entered, and the nodes its questions go to are reachable', () => {
    const all = (flows: Array<Record<string, unknown>>) =>
      lintFlows(
        flows.map((f) => ({ flow: flowSchema.parse(f), version: 'v1', file: `${String(f.id)}.yaml` })),
        settingsSchema.parse({ default_flow: 'shop' }),
        () => undefined,
      );
    const faq = {
      ...faqWith([question('sizes', ['Size guide'], 'sizes')]),
      nodes: { returns: { say: [{ text: 'R' }], wait: true }, sizes: { say: [{ text: 'S' }], wait: true } },
    };
    expect(messages(all([shop, faq]).filter((p) => /can never start|unreachable/.test(p.message)))).toEqual([]);
    const none = { ...faq, questions: undefined };
    expect(messages(all([shop, none]).filter((p) => /can never start|unreachable/.test(p.message)))).toHaveLength(2);
  });
});

describe('lintQuestions: a phrasing that matches another question better than its own', () => {
  it('warns when, once its own stop words are kept, the other question reads the same text closer', () => {
    // A phrasing in a language with no stop-word list keeps "the"; typed, "the" is dropped, and the
    // shorter phrasing of the other question then matches the text better.
    const faq = faqWith([
      question('returns', ['return', 'refund policy'], 'returns'),
      question('sizes', [{ text: 'the return', lang: 'de' }, 'size guide'], 'sizes'),
    ]);
    expect(messages(lint([shop, faq]))).toContainEqual(
      'warning: phrasing "the return" of question "sizes" matches question "returns" better than its own',
    );
  });
});
