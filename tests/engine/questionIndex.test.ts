import fc from 'fast-check';
import { flowSchema } from '../../src/engine/flowSchema';
import { matchQuestion } from '../../src/engine/matchQuestion';
import { buildQuestionIndex, reachableTerms } from '../../src/engine/questionIndex';

const faq = flowSchema.parse({
  id: 'faq',
  start: 'shipping',
  questions: [
    {
      id: 'shipping',
      lang: 'en',
      phrasings: [
        'How much is shipping?',
        'Do you ship internationally?',
        { text: 'Combien coûte la livraison ?', lang: 'fr' },
        { text: '¿Cuánto cuesta el envío?', lang: 'es' },
      ],
      goto: 'shipping',
    },
    { id: 'returns', title: 'Returns', phrasings: ['What is your return policy?', 'Can I get a refund?'], goto: 'returns' },
    { id: 'hours', phrasings: ['What are your opening hours?', 'When are you open?'], goto: 'shop:hours' },
  ],
  nodes: { shipping: { say: [{ text: 'S' }] }, returns: { say: [{ text: 'R' }] } },
});
const index = buildQuestionIndex([faq]);
const thresholds = { answer_threshold: 0.35, suggest_threshold: 0.2, suggestions: 3 };
const top = (text: string) => index.match(text)[0];

describe('the question index', () => {
  it('ranks the question whose phrasings share the rare words first, with a confidence from 0 to 1', () => {
    const [best, second] = index.match('what is the return policy for sale items');
    expect(best?.question.id).toBe('returns');
    expect(best?.confidence).toBeGreaterThan(0);
    expect(best?.confidence).toBeLessThanOrEqual(1);
    expect(second === undefined || second.confidence < (best?.confidence ?? 0)).toBe(true);
  });

  it('tolerates typos: a swapped pair of letters in a long word, one letter wrong in a shorter one', () => {
    expect(top('retrun policy')?.question.id).toBe('returns');
    expect(top('refnd')?.question.id).toBe('returns');
    expect(top('shiping')?.question.id).toBe('shipping');
  });

  it('folds accents and case both ways, and matches a prefix and a plural', () => {
    expect(top('COMBIEN COUTE LA LIVRAISON')?.question.id).toBe('shipping');
    expect(top('cuanto cuesta el envio')?.question.id).toBe('shipping');
    expect(top('¿cuánto cuesta el envío?')?.question.id).toBe('shipping');
    expect(top('ship')?.question.id).toBe('shipping'); // a prefix of "shipping"
    expect(top('refunds')?.question.id).toBe('returns');
  });

  it('drops stop words: a text of stop words alone matches nothing; they do not make a question win', () => {
    expect(index.terms('What is your')).toEqual([]);
    expect(index.match('what is your')).toEqual([]);
    expect(index.match('est-ce que vous')).toEqual([]);
    expect(index.terms('Can I get a refund?')).toEqual(['refund']);
    expect(index.terms('Combien coûte la livraison ?', 'fr')).toEqual(['combien', 'coute', 'livraison']);
  });

  it('keeps every word of a language it has no list for', () => {
    expect(index.terms('the is a', 'de')).toEqual(['the', 'is', 'a']);
  });

  it('finds nothing for words no phrasing has, and for an empty or symbol-only text', () => {
    expect(index.match('tell me a joke about turtles')).toEqual([]);
    expect(index.match('')).toEqual([]);
    expect(index.match('👍 !!!')).toEqual([]);
  });

  it('is less sure when another question matches nearly as well', () => {
    const alone = top('refund')?.confidence ?? 0;
    const contested = index.match('refund or shipping')[0]?.confidence ?? 0;
    expect(contested).toBeLessThan(alone);
  });

  it('titles a question by its title, else its first phrasing cut to 20 characters; targets another flow with flow:node', () => {
    expect(index.questions.get('returns')?.title).toBe('Returns');
    expect(index.questions.get('shipping')?.title).toBe('How much is shipping');
    expect(index.questions.get('hours')?.target).toEqual({ flow: 'shop', node: 'hours' });
    expect(index.questions.get('shipping')?.target).toEqual({ flow: 'faq', node: 'shipping' });
  });

  it('reads at most 300 characters of a text', () => {
    expect(index.match(`${'x '.repeat(200)} refund`)).toEqual([]);
    expect(top(`refund ${'x '.repeat(200)}`)?.question.id).toBe('returns');
  });
});

describe('matchQuestion: answer, suggest or none by the thresholds', () => {
  it('answers at or above answer_threshold', () => {
    const outcome = matchQuestion(index, 'refund', thresholds);
    expect(outcome).toMatchObject({ kind: 'answer', question: { id: 'returns' } });
  });

  it('suggests between the thresholds, the best first, at most `suggestions`', () => {
    const conf = top('refund or shipping')?.confidence ?? 0;
    const outcome = matchQuestion(index, 'refund or shipping', {
      ...thresholds,
      answer_threshold: conf + 0.01,
      suggest_threshold: 0,
    });
    expect(outcome.kind).toBe('suggest');
    if (outcome.kind !== 'suggest') return;
    expect(outcome.questions.map((q) => q.id).sort()).toEqual(['returns', 'shipping']);
    const one = matchQuestion(index, 'refund or shipping', { answer_threshold: 1, suggest_threshold: 0, suggestions: 1 });
    expect(one.kind === 'suggest' && one.questions).toHaveLength(1);
  });

  it('is none below suggest_threshold, and when nothing matched', () => {
    const conf = top('refund or shipping')?.confidence ?? 0;
    expect(conf).toBeGreaterThan(0);
    expect(
      matchQuestion(index, 'refund or shipping', { ...thresholds, answer_threshold: 1, suggest_threshold: conf + 0.01 }),
    ).toEqual({
      kind: 'none',
      confidence: conf,
    });
    expect(matchQuestion(index, 'tell me a joke', thresholds)).toEqual({ kind: 'none', confidence: 0 });
  });
});

describe('the terms the search leaves out', () => {
  // A term no indexed word can match (exactly, as a prefix, or within its typo allowance: 0 edits
  // up to 3 characters, 1 up to 5, else 2) is left out of the search; leaving out a term that
  // could match would change results, so every such term must be kept.
  const words = ['shipping', 'return', 'refund', 'open', 'hour', 'livraison', 'envío'];
  const reachable = reachableTerms(words.map((text) => ({ text })));
  const allowance = (term: string) => (term.length <= 3 ? 0 : term.length <= 5 ? 1 : 2);
  const edit = (word: string, edits: readonly { at: number; op: number; ch: string }[]) =>
    edits.reduce((w, { at, op, ch }) => {
      const i = at % (w.length + 1);
      if (op === 0) return w.slice(0, i) + ch + w.slice(i); // insert
      if (op === 1) return w.slice(0, i) + w.slice(i + 1); // delete
      return w.slice(0, i) + ch + w.slice(i + 1); // substitute
    }, word);

  it('keeps every term within its typo allowance of an indexed word, and every prefix of one', () => {
    const editArb = fc.record({ at: fc.nat(20), op: fc.integer({ min: 0, max: 2 }), ch: fc.constantFrom('x', '7', '@', 'é') });
    fc.assert(
      fc.property(fc.constantFrom(...words), fc.array(editArb, { maxLength: 2 }), (word, edits) => {
        const term = edit(word, edits);
        fc.pre(term.length > 0 && edits.length <= allowance(term));
        expect(reachable(term)).toBe(true);
      }),
    );
    for (const word of words) for (let n = 1; n <= word.length; n++) expect(reachable(word.slice(0, n))).toBe(true);
  });

  it('leaves out numbers and other text made of characters no phrasing has', () => {
    expect(['12345', '0612345678', '42', '😀😀'].filter(reachable)).toEqual([]);
    expect(reachable('refnd')).toBe(true);
  });

  it('changes no match: a number beside the words counts in the weight as before', () => {
    // "12345" is searched for nothing; it still dilutes the confidence as a word no phrasing explains.
    const alone = top('refund policy');
    const withNumber = top('refund policy 12345');
    expect(withNumber?.question.id).toBe(alone?.question.id);
    expect(withNumber?.confidence).toBeLessThan(alone?.confidence ?? 0);
    expect(index.match('12345 0612345678')).toEqual([]);
  });
});
