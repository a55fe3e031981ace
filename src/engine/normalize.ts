/**
 * Text as keywords compare it: accents folded (é → e, ü → u), case folded, punctuation at the ends
 * and repeated spaces dropped. Non-Latin scripts (Chinese, Arabic, Cyrillic…) pass through intact.
 */
export function normalize(text: string): string {
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ');
  return folded.slice(...trimmed(folded));
}

const EDGE = /^[\s\p{P}\p{S}]$/u;
const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Where the text starts and ends once spaces, punctuation and symbols at both ends are dropped.
 * A loop over characters rather than `[…]+$`: a regex search for a run at the end retries from
 * every position of a long run, quadratic in customer text; this looks at each character once.
 */
function trimmed(text: string): [number, number] {
  let start = 0;
  while (start < text.length) {
    const c = String.fromCodePoint(text.codePointAt(start) ?? 0);
    if (!EDGE.test(c)) break;
    start += c.length;
  }
  let end = text.length;
  while (end > start) {
    // A character outside the BMP is two code units: step back over both.
    const pair = end - 2 >= start && isLow(text.charCodeAt(end - 1)) && isHigh(text.charCodeAt(end - 2));
    const at = pair ? end - 2 : end - 1;
    if (!EDGE.test(String.fromCodePoint(text.codePointAt(at) ?? 0))) break;
    end = at;
  }
  return [start, end];
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
