import { matchesKeyword, normalize, said } from '../../src/engine/normalize';

describe('keyword matching', () => {
  it('folds case, accents and surrounding punctuation', () => {
    expect(normalize('  ¡HÉLLO,   Wörld!! ')).toBe('hello, world');
  });

  it.each([
    ['contains matches whole words', 'where is my order?', 'order', true],
    ['contains matches phrases', 'hi, what is the ORDER STATUS now', 'order status', true],
    ['contains does not match inside a word', 'shipping please', 'hi', false],
    ['contains does not match inside a word (2)', 'I want to reorder', 'order', false],
    ['contains works without spaces (Chinese)', '我想退订了', '退订', true],
    ['contains works without spaces (Japanese)', '注文の状況を教えて', '注文', true],
    ['exact ignores case and accents', 'Bonjour!', 'BONJOUR', true],
    ['exact is exact', 'bonjour toi', 'bonjour', false],
  ])('%s', (_case, text, keyword, expected) => {
    const mode = _case.startsWith('exact') ? 'exact' : 'contains';
    expect(matchesKeyword(said(text), keyword, mode)).toBe(expected);
  });

  it('regex is case-insensitive and an invalid one never matches or throws', () => {
    expect(matchesKeyword(said('ORDER 123'), '^order\\s+\\d+$', 'regex')).toBe(true);
    expect(matchesKeyword(said('x'), '(', 'regex')).toBe(false);
  });
});
