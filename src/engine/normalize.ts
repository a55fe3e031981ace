/**
 * Text as keywords compare it: accents folded (é → e, ü → u), case folded, punctuation at the ends
 * and repeated spaces dropped. Non-Latin scripts (Chinese, Arabic, Cyrillic…) pass through intact.
 */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
}

export type MatchMode = 'exact' | 'contains' | 'regex';

export function matchesKeyword(text: string, keyword: string, mode: MatchMode): boolean {
  if (mode === 'regex') {
    try {
      return new RegExp(keyword, 'iu').test(text);
    } catch {
      return false; // the linter refuses invalid patterns; never crash on one at run time
    }
  }
  const t = normalize(text);
  const k = normalize(keyword);
  if (k === '') return false;
  if (mode === 'exact') return t === k;
  return t.includes(k);
}
