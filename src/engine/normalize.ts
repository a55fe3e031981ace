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

const NO_SPACES =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type MatchMode = 'exact' | 'contains' | 'regex';

/** What the user said, raw and normalized: normalized once per event, compared many times. */
export interface Said {
  readonly raw: string;
  readonly norm: string;
}
export const said = (raw: string): Said => ({ raw, norm: normalize(raw) });

/**
 * Matchers per (keyword, mode), built once. Keywords come from the flow files, so this cache is
 * bounded by them; it is memoization of a pure function, not state.
 */
const matchers: Record<MatchMode, Map<string, (s: Said) => boolean>> = {
  exact: new Map(),
  contains: new Map(),
  regex: new Map(),
};

function compile(keyword: string, mode: MatchMode): (s: Said) => boolean {
  if (mode === 'regex') {
    let re: RegExp;
    try {
      re = new RegExp(keyword, 'iu');
    } catch {
      return () => false; // the linter refuses invalid patterns; never crash on one at run time
    }
    return (s) => re.test(s.raw);
  }
  const k = normalize(keyword);
  if (k === '') return () => false;
  if (mode === 'exact') return (s) => s.norm === k;
  // Whole words ("hi" must not match "shipping"), except for scripts written without spaces
  // (Chinese, Japanese, Thai…), where a substring is the only meaningful match.
  if (NO_SPACES.test(k)) return (s) => s.norm.includes(k);
  const word = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(k)}(?![\\p{L}\\p{N}])`, 'u');
  return (s) => s.norm.includes(k) && word.test(s.norm);
}

export function matchesKeyword(s: Said, keyword: string, mode: MatchMode): boolean {
  let match = matchers[mode].get(keyword);
  if (!match) matchers[mode].set(keyword, (match = compile(keyword, mode)));
  return match(s);
}
