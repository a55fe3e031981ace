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

const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
  // Whole words ("hi" must not match "shipping"), except for scripts written without spaces
  // (Chinese, Japanese, Thai…), where a substring is the only meaningful match.
  if (NO_SPACES.test(k)) return t.includes(k);
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(k)}(?![\\p{L}\\p{N}])`, 'u').test(t);
}
