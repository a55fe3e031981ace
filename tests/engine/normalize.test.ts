import fc from 'fast-check';
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

describe('normalize on long and hostile text', () => {
  // The former one-regex trim, kept as the reference for behaviour (it is quadratic on a long run of
  // punctuation that does not reach the end, so only short strings are compared with it).
  const reference = (t: string) =>
    t
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/\s+/gu, ' ')
      .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');

  it('trims as the one-regex version did, for any short text (punctuation, symbols, emoji, surrogates)', () => {
    const piece = fc.constantFrom('a', 'É', ' ', '\t', '!', '?', '…', '€', '😀', '𠀀', '\uD800', '\uDC00', '我', '-', '.', 'z');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const t = parts.join('');
        expect(normalize(t)).toBe(reference(t));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['surrounding emoji', '😀 hi 😀', 'hi'],
    ['a letter outside the BMP', '!!𠀀!!', '𠀀'],
    ['a lone surrogate', '!\uD800!', '\uD800'],
  ])('keeps whole characters: %s', (_case, text, expected) => {
    expect(normalize(text)).toBe(expected);
  });

  // Each of these took seconds or minutes with the one-regex trim (quadratic in the run's length).
  it.each([64_000, 256_000])('a run of %i punctuation characters inside a text', (n) => {
    expect(normalize(`a${'!'.repeat(n)}a`)).toBe(`a${'!'.repeat(n)}a`);
    expect(normalize(`hi${'?!'.repeat(n / 2)}`)).toBe('hi');
    expect(normalize(`${' .'.repeat(n / 2)}ok`)).toBe('ok');
  });
});
